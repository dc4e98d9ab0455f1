package checkpoint

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Signature algorithms a checkpoint can name.
const (
	AlgEd25519      = "Ed25519"
	AlgECDSASHA256  = "ECDSA_SHA_256" // ECDSA on P-256 over SHA-256, ASN.1 DER signature, as KMS signs
	privateKeyBlock = "PRIVATE KEY"
	publicKeyBlock  = "PUBLIC KEY"
)

// ErrSignature means a signature does not verify with the trusted key: the checkpoint was
// forged or altered.
var ErrSignature = errors.New("checkpoint: signature does not verify")

// Signer signs checkpoint statements.
type Signer interface {
	// Sign returns the signature of msg.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
	// KeyID names the public key: hex SHA-256 of its PKIX DER encoding.
	KeyID() string
	// Algorithm is AlgEd25519 or AlgECDSASHA256.
	Algorithm() string
	// Public returns the public key (ed25519.PublicKey or *ecdsa.PublicKey).
	Public() crypto.PublicKey
}

// Verifier checks signatures with one trusted public key.
type Verifier struct {
	pub   crypto.PublicKey
	alg   string
	keyID string
}

// NewVerifier returns a Verifier for an ed25519 or ECDSA P-256 public key.
func NewVerifier(pub crypto.PublicKey) (*Verifier, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: public key: %w", err)
	}
	v := &Verifier{pub: pub, keyID: keyID(der)}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		v.alg = AlgEd25519
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("checkpoint: ECDSA keys must be on P-256")
		}
		v.alg = AlgECDSASHA256
	default:
		return nil, fmt.Errorf("checkpoint: unsupported public key %T", pub)
	}
	return v, nil
}

// ParsePublicKey reads a PEM "PUBLIC KEY" block or PKIX DER bytes (as KMS GetPublicKey
// returns them) and returns its Verifier.
func ParsePublicKey(b []byte) (*Verifier, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != publicKeyBlock {
			return nil, fmt.Errorf("checkpoint: PEM block %q, want %q", blk.Type, publicKeyBlock)
		}
		b = blk.Bytes
	}
	pub, err := x509.ParsePKIXPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: public key: %w", err)
	}
	return NewVerifier(pub)
}

// KeyID names the key: hex SHA-256 of its PKIX DER encoding.
func (v *Verifier) KeyID() string { return v.keyID }

// Verify checks sig over msg, and that the signature claims this key and its algorithm.
func (v *Verifier) Verify(keyID, alg string, msg, sig []byte) error {
	if keyID != v.keyID {
		return fmt.Errorf("%w: signed by key %s, trusted key is %s", ErrSignature, short(keyID), short(v.keyID))
	}
	if alg != v.alg {
		return fmt.Errorf("%w: algorithm %q, trusted key uses %q", ErrSignature, alg, v.alg)
	}
	ok := false
	switch k := v.pub.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, sig)
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(msg)
		ok = ecdsa.VerifyASN1(k, sum[:], sig)
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

func keyID(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Ed25519 signs with a local ed25519 key.
type Ed25519 struct {
	key     ed25519.PrivateKey
	keyID   string
	created bool
}

var _ Signer = (*Ed25519)(nil)

// Local key files in a data folder.
const (
	// KeyFile holds the local checkpoint signing key (PKCS #8 PEM, mode 0600).
	KeyFile = "checkpoint.key"
	// PublicKeyFile holds its public key (PKIX PEM), the key `mandate verify` trusts.
	PublicKeyFile = "checkpoint.pub"
)

// LoadOrCreateEd25519 reads the ed25519 key in dir/KeyFile, creating it (and dir/PublicKeyFile)
// on first use.
func LoadOrCreateEd25519(dir string) (*Ed25519, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("checkpoint: key folder: %w", err)
		}
		if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: privateKeyBlock, Bytes: der}), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, PublicKeyFile), pem.EncodeToMemory(&pem.Block{Type: publicKeyBlock, Bytes: pubDER}), 0o644); err != nil {
			return nil, fmt.Errorf("checkpoint: write public key: %w", err)
		}
		s, err := LoadOrCreateEd25519(dir)
		if s != nil {
			s.created = true
		}
		return s, err
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: read key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != privateKeyBlock {
		return nil, fmt.Errorf("checkpoint: %s is not a PEM %q block", path, privateKeyBlock)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("checkpoint: %s holds a %T, want ed25519", path, k)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &Ed25519{key: priv, keyID: keyID(pubDER)}, nil
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("checkpoint: create key: %w", err)
	}
	_, werr := f.Write(b)
	return errors.Join(werr, f.Sync(), f.Close())
}

// Created reports whether LoadOrCreateEd25519 created the key (the folder's first run).
func (s *Ed25519) Created() bool { return s.created }

// Fingerprint is how a person pins the key: "SHA256:" and its KeyID.
func Fingerprint(keyID string) string { return "SHA256:" + keyID }

// Sign signs msg.
func (s *Ed25519) Sign(_ context.Context, msg []byte) ([]byte, error) {
	return ed25519.Sign(s.key, msg), nil
}

// KeyID names the public key.
func (s *Ed25519) KeyID() string { return s.keyID }

// Algorithm is AlgEd25519.
func (s *Ed25519) Algorithm() string { return AlgEd25519 }

// Public returns the public key.
func (s *Ed25519) Public() crypto.PublicKey { return s.key.Public() }

// kmsAPI is the part of the KMS API the signer uses; *kms.Client fits it.
type kmsAPI interface {
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// KMS signs with an asymmetric KMS key (key spec ECC_NIST_P256, usage SIGN_VERIFY) using
// ECDSA_SHA_256 over the SHA-256 digest of the statement. The private key never leaves KMS;
// the public key verifies offline.
type KMS struct {
	client kmsAPI
	key    string
	keyID  string
	pubDER []byte
	pub    crypto.PublicKey
}

var _ Signer = (*KMS)(nil)

// NewKMS returns a signer for the KMS key (id, ARN or alias), reading its public key once.
func NewKMS(ctx context.Context, client kmsAPI, key string) (*KMS, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: public key of KMS key %s: %w", key, err)
	}
	if !containsAlg(out.SigningAlgorithms, kmstypes.SigningAlgorithmSpecEcdsaSha256) {
		return nil, fmt.Errorf("checkpoint: KMS key %s cannot sign with %s", key, AlgECDSASHA256)
	}
	v, err := ParsePublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: KMS key %s: %w", key, err)
	}
	return &KMS{client: client, key: key, keyID: keyID(out.PublicKey), pubDER: out.PublicKey, pub: v.pub}, nil
}

func containsAlg(algs []kmstypes.SigningAlgorithmSpec, want kmstypes.SigningAlgorithmSpec) bool {
	for _, a := range algs {
		if a == want {
			return true
		}
	}
	return false
}

// Sign asks KMS to sign the SHA-256 digest of msg.
func (s *KMS) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	sum := sha256.Sum256(msg)
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.key),
		Message:          sum[:],
		MessageType:      kmstypes.MessageTypeDigest,
		SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: sign with KMS key %s: %w", s.key, err)
	}
	return out.Signature, nil
}

// KeyID names the public key.
func (s *KMS) KeyID() string { return s.keyID }

// Algorithm is AlgECDSASHA256.
func (s *KMS) Algorithm() string { return AlgECDSASHA256 }

// Public returns the key's public half.
func (s *KMS) Public() crypto.PublicKey { return s.pub }

// PublicKeyPEM returns the key's public half for verifiers to trust.
func (s *KMS) PublicKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: publicKeyBlock, Bytes: s.pubDER})
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
