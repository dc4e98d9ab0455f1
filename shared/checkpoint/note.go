package checkpoint

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// The checkpoint a log states, in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint):
// a signed note (https://c2sp.org/signed-note) whose text is the log's origin, its size in
// decimal and its root hash in base64, one a line, followed by a blank line and one signature
// line per signer ("— <name> <base64 of key hash and signature>"). The log signs with its
// checkpoint key under the origin as key name: Ed25519 notes (signature type 0x01) locally,
// ECDSA P-256 with SHA-256 (type 0x02, as Sigstore's logs sign) with KMS. Witnesses add
// cosignature/v1 lines (https://c2sp.org/tlog-cosignature) that any standard verifier checks.

// sigECDSA is the signed-note signature type of ECDSA P-256 SHA-256 keys.
const sigECDSA = 0x02

// ErrCosignatures means a checkpoint carries fewer verified witness cosignatures than the
// verifier requires: nobody outside the operator vouched for it. Get it cosigned, or lower the
// requirement knowingly.
var ErrCosignatures = errors.New("checkpoint: too few witness cosignatures")

// DefaultOrigin is the origin a log signs under unless configured: a name for the log that
// changes with its key.
func DefaultOrigin(keyID string) string { return "mandate.audit/" + short(keyID) }

// NoteBody is the text of a C2SP checkpoint: origin, size, base64 root, each on its own line.
func NoteBody(origin string, size uint64, root []byte) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
}

// VerifierKey returns the key in signed-note verifier key form ("<name>+<hash>+<base64 key>")
// under name, the form witnesses and monitors are configured with.
func (v *Verifier) VerifierKey(name string) (string, error) {
	switch k := v.pub.(type) {
	case ed25519.PublicKey:
		return note.NewEd25519VerifierKey(name, k)
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s+%08x+%s", name, ecdsaKeyHash(der), base64.StdEncoding.EncodeToString(append([]byte{sigECDSA}, der...))), nil
	}
	return "", fmt.Errorf("checkpoint: unsupported public key %T", v.pub)
}

// NoteVerifier returns the signed-note verifier of the key under name.
func (v *Verifier) NoteVerifier(name string) (note.Verifier, error) {
	vkey, err := v.VerifierKey(name)
	if err != nil {
		return nil, err
	}
	if _, ok := v.pub.(*ecdsa.PublicKey); ok {
		return fnote.NewECDSAVerifier(vkey)
	}
	return note.NewVerifier(vkey)
}

func ecdsaKeyHash(der []byte) uint32 {
	h := sha256.Sum256(der)
	return binary.BigEndian.Uint32(h[:4])
}

// noteSigner signs a note's text with a Signer (KMS or a local key) under name.
type noteSigner struct {
	ctx  context.Context
	s    Signer
	name string
	hash uint32
}

func newNoteSigner(ctx context.Context, s Signer, name string) (*noteSigner, error) {
	v, err := NewVerifier(s.Public())
	if err != nil {
		return nil, err
	}
	nv, err := v.NoteVerifier(name)
	if err != nil {
		return nil, err
	}
	return &noteSigner{ctx: ctx, s: s, name: name, hash: nv.KeyHash()}, nil
}

func (n *noteSigner) Name() string                    { return n.name }
func (n *noteSigner) KeyHash() uint32                 { return n.hash }
func (n *noteSigner) Sign(msg []byte) ([]byte, error) { return n.s.Sign(n.ctx, msg) }

// SignNote returns the C2SP checkpoint of (origin, size, root) signed by s.
func SignNote(ctx context.Context, s Signer, origin string, size uint64, root []byte) (string, error) {
	ns, err := newNoteSigner(ctx, s, origin)
	if err != nil {
		return "", err
	}
	b, err := note.Sign(&note.Note{Text: NoteBody(origin, size, root)}, ns)
	if err != nil {
		return "", fmt.Errorf("checkpoint: sign note: %w", err)
	}
	return string(b), nil
}

// NoteCheckpoint is a C2SP checkpoint whose log signature verified.
type NoteCheckpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	// Cosigners names the witnesses whose cosignatures verified.
	Cosigners []string
}

// OpenNote verifies a C2SP checkpoint: its text, the log's signature by v under origin (the
// first line when origin is empty), and at least minCosignatures cosignatures by distinct
// witnesses (signed-note verifiers, e.g. from transparency-dev/formats'
// NewVerifierForCosignatureV1). Signatures by keys it does not know are ignored, as the
// signed-note spec requires.
func OpenNote(text []byte, origin string, v *Verifier, witnesses []note.Verifier, minCosignatures int) (NoteCheckpoint, error) {
	if origin == "" {
		origin, _, _ = strings.Cut(string(text), "\n")
	}
	lv, err := v.NoteVerifier(origin)
	if err != nil {
		return NoteCheckpoint{}, err
	}
	cp, _, n, err := flog.ParseCheckpoint(text, origin, lv, witnesses...)
	if err != nil {
		return NoteCheckpoint{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	out := NoteCheckpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash}
	seen := map[string]bool{}
	for _, s := range n.Sigs {
		if s.Name == lv.Name() && s.Hash == lv.KeyHash() || seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		out.Cosigners = append(out.Cosigners, s.Name)
	}
	if len(out.Cosigners) < minCosignatures {
		return out, fmt.Errorf("%w: %d verified, %d required", ErrCosignatures, len(out.Cosigners), minCosignatures)
	}
	return out, nil
}

// isNote reports whether b looks like a signed note rather than a JSON checkpoint.
func isNote(b []byte) bool {
	return !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}

// ParseWitnessKey reads a witness's verifier key ("<name>+<hash>+<base64 key>", Ed25519 or
// cosignature/v1) as a verifier of its cosignatures.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: witness key: %w", err)
	}
	return v, nil
}

// ReadKept reads a checkpoint kept outside the archive (ParseKept) for Options.Since. A kept
// note must carry at least minCosignatures cosignatures by the witnesses (verifier keys)
// besides the log's signature by v; the cosigners are returned. A kept checkpoint object
// carries no cosignatures: the requirement then applies to the archive's newest checkpoint
// (Options.Cosignatures).
func ReadKept(b []byte, v *Verifier, witnesses []string, minCosignatures int) (*Checkpoint, []string, error) {
	c, err := ParseKept(b)
	if err != nil {
		return nil, nil, err
	}
	if c.Signature != "" {
		return &c, nil, nil
	}
	ws, err := ParseWitnessKeys(witnesses)
	if err != nil {
		return nil, nil, err
	}
	n, err := OpenNote(b, c.Origin, v, ws, minCosignatures)
	if errors.Is(err, ErrSignature) {
		// Not signed by the trusted key: VerifyArchive reports it as a re-keyed log.
		return &c, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &c, n.Cosigners, nil
}

// ParseWitnessKeys reads witnesses' verifier keys.
func ParseWitnessKeys(vkeys []string) ([]note.Verifier, error) {
	var ws []note.Verifier
	for _, k := range vkeys {
		w, err := ParseWitnessKey(k)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// CosignedPrefix is where the archive keeps witness-cosigned checkpoint notes.
const CosignedPrefix = "cosigned/"

// CosignedKey names the note of checkpoint i that the named witness cosigned, in the archive.
func CosignedKey(i uint64, witness string) string {
	sum := sha256.Sum256([]byte(witness))
	return fmt.Sprintf("%s%020d/%x.note", CosignedPrefix, i, sum[:8])
}
