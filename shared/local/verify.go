package local

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// Verify opens a data folder's store (the embedded one read-only) and verifies every audit chain in it.
func Verify(ctx context.Context, dir string) ([]audit.Report, error) {
	c, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	db, err := OpenStore(ctx, dir, c, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return audit.VerifyAll(ctx, db, nil)
}

var (
	// ErrNoAnchor means verify was given nothing to trust from outside the data folder. The
	// caller gives the checkpoint key (a copy kept elsewhere, or its fingerprint) or a
	// checkpoint kept earlier, or says explicitly that this run is a self-check.
	ErrNoAnchor = errors.New("local: nothing to trust outside the data folder: give the checkpoint key kept elsewhere (--key FILE or --key-id FINGERPRINT), a checkpoint kept earlier (--since FILE), or --self-check")
	// ErrAnchorInFolder means the trusted key file lies inside the data folder it should vouch
	// for; anyone who can rewrite the folder can rewrite it. Keep the copy elsewhere.
	ErrAnchorInFolder = errors.New("local: the trusted key file is inside the data folder it verifies")
)

// Anchor is what verifying a data folder trusts. Each field but SelfCheck comes from outside
// the folder; at least one must be set.
type Anchor struct {
	// KeyFile is a copy of the checkpoint public key (PEM or DER) kept outside the folder.
	KeyFile string
	// KeyID is the checkpoint key's fingerprint (hex SHA-256 of its PKIX encoding) as
	// `mandate local` printed it when it created the key; the folder's checkpoint.pub is
	// trusted only if it has this fingerprint.
	KeyID string
	// Since is a checkpoint file (checkpoints/NNN.json) copied out of the archive earlier:
	// it pins the key that signed it and the log it committed to.
	Since string
	// Witnesses are the verifier keys of witnesses whose cosignatures count, on a kept note
	// and on the notes in the archive's cosigned/ folder; Cosignatures is how many of them
	// must have cosigned the kept note (when Since is one) or the newest checkpoint.
	Witnesses    []string
	Cosignatures int
	// SelfCheck trusts the folder's own checkpoint.pub. It shows that the folder is
	// consistent with itself, not that nobody holding the folder's key rewrote it.
	SelfCheck bool
}

// ArchiveReport is the outcome of VerifyArchive and what it trusted.
type ArchiveReport struct {
	checkpoint.Report
	// Trust says, for a person, what the verification was anchored on.
	Trust string
	// SelfCheck is set when only the folder's own key was trusted: a clean report then means
	// "consistent", never "intact".
	SelfCheck bool
}

// VerifyArchive verifies a data folder's archive: record hashes and chains, checkpoint
// signatures with the key the anchor trusts, the inclusion of every record, the consistency
// of the log with a checkpoint kept earlier, and that the archive and the store hold the same
// records (records the store holds but the archive does not yet are lag up to lagBound).
func VerifyArchive(ctx context.Context, dir string, a Anchor, lagBound time.Duration, progress func(done, total int)) (ArchiveReport, error) {
	var out ArchiveReport
	if a.KeyFile == "" && a.KeyID == "" && a.Since == "" && !a.SelfCheck {
		return out, ErrNoAnchor
	}
	keyFile, trust := a.KeyFile, []string{}
	if keyFile != "" {
		if !a.SelfCheck && inside(dir, keyFile) {
			return out, fmt.Errorf("%w: %s", ErrAnchorInFolder, keyFile)
		}
		trust = append(trust, "the key in "+keyFile)
	} else {
		keyFile = filepath.Join(dir, checkpoint.PublicKeyFile)
	}
	pub, err := os.ReadFile(keyFile)
	if err != nil {
		return out, fmt.Errorf("local: trusted checkpoint key: %w", err)
	}
	v, err := checkpoint.ParsePublicKey(pub)
	if err != nil {
		return out, err
	}
	ws, err := checkpoint.ParseWitnessKeys(a.Witnesses)
	if err != nil {
		return out, err
	}
	o := checkpoint.Options{Verifier: v, Progress: progress, LagBound: lagBound, Witnesses: ws, Cosignatures: a.Cosignatures}
	if a.KeyID != "" {
		want := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(a.KeyID)), "sha256:")
		trust = append(trust, "the fingerprint "+short(want))
		if subtle.ConstantTimeCompare([]byte(want), []byte(v.KeyID())) != 1 {
			out.Trust = strings.Join(trust, " and ")
			out.Problems = []checkpoint.Problem{{Kind: checkpoint.Forged, Detail: fmt.Sprintf(
				"the checkpoint key %s is not the pinned key %s: the log was re-keyed", short(v.KeyID()), short(want))}}
			return out, nil
		}
	}
	if a.Since != "" {
		b, err := os.ReadFile(a.Since)
		if err != nil {
			return out, fmt.Errorf("local: kept checkpoint: %w", err)
		}
		kept, cosigners, err := checkpoint.ReadKept(b, v, a.Witnesses, a.Cosignatures)
		if err != nil {
			return out, fmt.Errorf("local: kept checkpoint %s: %w", a.Since, err)
		}
		o.Since = kept
		if kept.Signature == "" {
			o.Cosignatures = 0 // required of the kept note, checked by ReadKept
		}
		trust = append(trust, fmt.Sprintf("the checkpoint of %d records kept in %s", kept.Size, a.Since))
		if len(cosigners) > 0 {
			trust = append(trust, "its cosigners "+strings.Join(cosigners, ", "))
		}
	}
	if len(trust) == 0 {
		out.SelfCheck = true
		trust = append(trust, "SELF-CHECK: the folder's own "+checkpoint.PublicKeyFile+", which anyone who can write the folder can replace")
	}
	out.Trust = strings.Join(trust, " and ")
	db, err := bolt.OpenReadOnly(filepath.Join(dir, StoreFile))
	if err != nil {
		return out, err
	}
	defer db.Close()
	o.Store = db
	// A missing archive folder reads as an empty archive: what the store holds is then not
	// archived (a break past the lag bound), and a kept checkpoint saw more than is left.
	root := filepath.Join(dir, ArchiveDir)
	out.Report, err = checkpoint.VerifyArchive(ctx, archive.Dir{Root: root}, o)
	return out, err
}

// inside reports whether path lies within dir (after resolving both).
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return true
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	rel, err := filepath.Rel(d, p)
	return err != nil || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}
