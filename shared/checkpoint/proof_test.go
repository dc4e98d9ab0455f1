package checkpoint_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// The RFC 6962 reference vectors (the Certificate Transparency reference implementation's
// eight leaves, their roots and proofs).
var (
	refLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	refRoots  = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	refInclusion = []struct {
		leaf, size uint64 // leaf from 1
		proof      []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{3, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{2, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	refConsistency = []struct {
		size1, size2 uint64
		proof        []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{6, 7, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	}
)

func unhex(t *testing.T, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func refLog(t *testing.T) checkpoint.Leaves {
	t.Helper()
	var l checkpoint.Leaves
	for _, d := range unhex(t, refLeaves) {
		l = append(l, rfc6962.DefaultHasher.HashLeaf(d))
	}
	return l
}

func TestProofsMatchTheRFC6962ReferenceVectors(t *testing.T) {
	t.Parallel()
	l := refLog(t)
	roots := unhex(t, refRoots)
	for n := range uint64(len(roots)) {
		got, err := l.Root(n + 1)
		if err != nil || !bytes.Equal(got, roots[n]) {
			t.Fatalf("root of %d leaves: %x, %v; want %x", n+1, got, err, roots[n])
		}
	}
	for _, v := range refInclusion {
		got, err := l.Inclusion(v.leaf-1, v.size)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, v.proof); len(got) != len(want) || (len(want) > 0 && !bytes.Equal(bytes.Join(got, nil), bytes.Join(want, nil))) {
			t.Errorf("inclusion of leaf %d in %d: %x, want %x", v.leaf, v.size, got, want)
		}
	}
	for _, v := range refConsistency {
		got, err := l.Consistency(v.size1, v.size2)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, v.proof); len(got) != len(want) || (len(want) > 0 && !bytes.Equal(bytes.Join(got, nil), bytes.Join(want, nil))) {
			t.Errorf("consistency %d to %d: %x, want %x", v.size1, v.size2, got, want)
		}
	}
	// Every proof the tree gives verifies, and fails for any other leaf or root.
	for size := uint64(1); size <= 8; size++ {
		for i := range size {
			p, err := l.Inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkpoint.VerifyInclusion(i, size, l[i], p, roots[size-1]); err != nil {
				t.Errorf("inclusion %d in %d: %v", i, size, err)
			}
			if err := checkpoint.VerifyInclusion(i, size, l[(i+1)%8], p, roots[size-1]); size > 1 && err == nil {
				t.Errorf("inclusion %d in %d verifies for another leaf", i, size)
			}
		}
		for s1 := uint64(1); s1 <= size; s1++ {
			p, err := l.Consistency(s1, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkpoint.VerifyConsistency(s1, size, p, roots[s1-1], roots[size-1]); err != nil {
				t.Errorf("consistency %d to %d: %v", s1, size, err)
			}
			if err := checkpoint.VerifyConsistency(s1, size, p, roots[(s1)%8], roots[size-1]); s1 < size && err == nil {
				t.Errorf("consistency %d to %d verifies from another root", s1, size)
			}
		}
	}
	if _, err := l.Inclusion(8, 8); !errors.Is(err, checkpoint.ErrProofRange) {
		t.Errorf("leaf beyond the log: %v", err)
	}
	if _, err := l.Consistency(3, 9); !errors.Is(err, checkpoint.ErrProofRange) {
		t.Errorf("size beyond the log: %v", err)
	}
}
