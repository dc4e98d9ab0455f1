package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

var (
	// ErrExists means an object with that name is already there; nothing was written. Callers
	// read it back and compare.
	ErrExists = errors.New("archive: object exists")
	// ErrNotFound means there is no object with that name.
	ErrNotFound = errors.New("archive: object not found")
	// ErrConflict means an object name is held by different records than the ones being
	// shipped. Nothing is overwritten; the batch stays unshipped and someone must look.
	ErrConflict = errors.New("archive: object holds different records")
)

// Bucket is write-once object storage: an S3 bucket with Object Lock, or a local folder.
type Bucket interface {
	// Create writes body under key only if no object has that name (ErrExists otherwise),
	// retained unchanged until retainUntil where the storage enforces retention.
	Create(ctx context.Context, key string, body []byte, retainUntil time.Time) error
	// Get returns an object's bytes; ErrNotFound if there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the names of the objects under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// Dir is a Bucket over a local folder: object names are paths below it. Objects are created
// with an exclusive link so a name is taken once, fsynced, and left read-only; a folder
// cannot enforce retention against its owner, which is what checkpoints and `mandate verify`
// are for.
type Dir struct{ Root string }

var _ Bucket = Dir{}

func (d Dir) path(key string) (string, error) {
	if !cleanKey(key) {
		return "", fmt.Errorf("archive: bad object name %q", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(key)), nil
}

// Create writes body to a temporary file, syncs it, and links it under its name, which fails
// if the name is taken.
func (d Dir) Create(_ context.Context, key string, body []byte, _ time.Time) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("archive: create %s: %w", key, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if err != nil {
		return fmt.Errorf("archive: create %s: %w", key, err)
	}
	defer os.Remove(tmp)
	_, werr := f.Write(body)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("archive: write %s: %w", key, err)
	}
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("archive: %s: %w", key, ErrExists)
		}
		return fmt.Errorf("archive: create %s: %w", key, err)
	}
	if df, err := os.Open(dir); err == nil {
		_ = df.Sync()
		df.Close()
	}
	return nil
}

// Get reads an object.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("archive: %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: read %s: %w", key, err)
	}
	return b, nil
}

// List walks the folder below prefix.
func (d Dir) List(_ context.Context, prefix string) ([]string, error) {
	var out []string
	base := d.Root
	// Walk from the deepest folder the prefix names.
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if !cleanKey(prefix[:i]) {
			return nil, fmt.Errorf("archive: bad prefix %q", prefix)
		}
		base = filepath.Join(d.Root, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("archive: list %s: %w", prefix, err)
	}
	slices.Sort(out)
	return out, nil
}
