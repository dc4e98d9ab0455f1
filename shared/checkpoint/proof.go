package checkpoint

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// ErrProofRange means a proof was asked for sizes or an index the leaves do not reach.
var ErrProofRange = errors.New("checkpoint: proof outside the log")

// Leaves is the log's leaf hashes in order, as VerifyArchive rebuilds them from the archive.
// It answers inclusion and consistency proofs (RFC 6962 section 2.1, computed with
// transparency-dev/merkle's proof package) without keeping the tree's interior nodes.
type Leaves [][]byte

// nodeHash returns the hash of a perfect subtree the proof names. It rehashes the subtree's
// leaves: a proof names O(log n) nodes, so one proof costs O(n) hashes, as verify already does.
func (l Leaves) nodeHash(id compact.NodeID) ([]byte, error) {
	begin, end := id.Coverage()
	if end > uint64(len(l)) {
		return nil, fmt.Errorf("%w: node %d/%d", ErrProofRange, id.Level, id.Index)
	}
	r := rangeFactory().NewEmptyRange(begin)
	for _, h := range l[begin:end] {
		if err := r.Append(h, nil); err != nil {
			return nil, err
		}
	}
	// A perfect subtree's compact range is the one node.
	if hs := r.Hashes(); len(hs) == 1 {
		return hs[0], nil
	}
	return nil, fmt.Errorf("checkpoint: node %d/%d is not a perfect subtree", id.Level, id.Index)
}

func (l Leaves) fetch(n proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		h, err := l.nodeHash(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return n.Rehash(hashes, hasher.HashChildren)
}

// Root returns the RFC 6962 root of the first size leaves.
func (l Leaves) Root(size uint64) ([]byte, error) {
	if size > uint64(len(l)) {
		return nil, fmt.Errorf("%w: size %d of %d", ErrProofRange, size, len(l))
	}
	r := rangeFactory().NewEmptyRange(0)
	for _, h := range l[:size] {
		if err := r.Append(h, nil); err != nil {
			return nil, err
		}
	}
	root, err := r.GetRootHash(nil)
	if root == nil && err == nil {
		root = hasher.EmptyRoot()
	}
	return root, err
}

// Inclusion returns the proof that leaf index is in the tree of the first size leaves.
func (l Leaves) Inclusion(index, size uint64) ([][]byte, error) {
	if index >= size || size > uint64(len(l)) {
		return nil, fmt.Errorf("%w: leaf %d in size %d of %d", ErrProofRange, index, size, len(l))
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return l.fetch(n)
}

// Consistency returns the proof that the tree of size1 leaves is a prefix of the tree of size2.
func (l Leaves) Consistency(size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 || size2 > uint64(len(l)) {
		return nil, fmt.Errorf("%w: sizes %d and %d of %d", ErrProofRange, size1, size2, len(l))
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return l.fetch(n)
}

// VerifyInclusion checks an inclusion proof of leaf (its RFC 6962 leaf hash) at index in a
// tree of size leaves with the given root.
func VerifyInclusion(index, size uint64, leaf []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, leaf, p, root)
}

// VerifyConsistency checks that the tree (size1, root1) is a prefix of (size2, root2).
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, size1, size2, p, root1, root2)
}
