package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
)

// Loading a policy set costs what cedar-go's parser costs (about 20 µs a policy). Two
// ways around it:
//
//   - Load keeps the last few compiled Sets in memory, keyed by the SHA-256 of their name
//     and text: reloading a version already compiled in this process (a rollback, the
//     log-only set promoted to enforced, a second authority) costs a hash.
//   - Set.Precompiled encodes the parsed policies (cedar-go's AST) in a compact binary
//     form, bound to the SHA-256 of the text it came from and closed by the SHA-256 of
//     itself. Load given the text and that form decodes the AST, skipping the parser, and
//     leaves cedar-go's compiler to the first decision that needs each policy. The
//     form is derived data: it is accepted only for the exact text it was made from, and
//     any problem with it (another text, another format version, damage) falls back to
//     parsing the text. The checks Compile makes on ids and annotations run either way.

// formMagic starts every precompiled form; its last byte is the format version.
var formMagic = []byte("mandate-cedar-ast\x00\x01")

// Limits on decoding a precompiled form.
const (
	maxFormDepth = 256 // nesting of expressions; cedar-go's parser allows no deeper
)

var errForm = errors.New("policy: malformed precompiled form")

// formKey is what a Set and its precompiled form are bound to: the set's name, whether ids
// were given by position, and its text.
func formKey(name string, autoID bool, src []byte) [32]byte {
	h := sha256.New()
	var hdr [9]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(name)))
	if autoID {
		hdr[8] = 1
	}
	h.Write(hdr[:])
	h.Write([]byte(name))
	h.Write(src)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// filesKey is formKey for a set of several files: each file's name and text, framed by
// their lengths, under a header no single text's key has.
func filesKey(name string, autoID bool, files []Source) [32]byte {
	h := sha256.New()
	var hdr [9]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(name)))
	hdr[8] = 2
	if autoID {
		hdr[8] |= 1
	}
	h.Write(hdr[:])
	h.Write([]byte(name))
	var n [8]byte
	for _, f := range files {
		for _, part := range []string{f.Name, string(f.Text)} {
			binary.LittleEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write([]byte(part))
		}
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Served returns the set the authority runs for the same policies: s written in its
// precompiled form and read back as Load reads it on a cold start (decoded, checked and
// indexed afresh, no in-process cache), so that deciding with it (Evaluate, Authorize) goes
// through what production runs. `mandate policy test` decides with it.
func (s *Set) Served() (*Set, error) {
	form, err := s.Precompiled()
	if err != nil {
		return nil, err
	}
	list, err := decodeForm(s.key, form)
	if err != nil {
		return nil, err
	}
	out, err := build(s.name, list, nil, s.autoID)
	if err != nil {
		return nil, err
	}
	out.key, out.autoID, out.served = s.key, s.autoID, true
	return out, nil
}

// FromPrecompiledForm reports whether the set was read from a precompiled form (by Load or
// Served) rather than compiled from text.
func (s *Set) FromPrecompiledForm() bool { return s != nil && s.served }

// setCache holds the most recently loaded Sets, newest first.
type setCache struct {
	mu   sync.Mutex
	sets []cachedSet
}

type cachedSet struct {
	key [32]byte
	set *Set
}

// loadedSetsKept is how many compiled Sets Load keeps.
const loadedSetsKept = 4

var loaded setCache

func (c *setCache) get(k [32]byte) *Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.sets {
		if e.key == k {
			copy(c.sets[1:i+1], c.sets[:i])
			c.sets[0] = e
			return e.set
		}
	}
	return nil
}

func (c *setCache) put(k [32]byte, s *Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.sets {
		if e.key == k {
			return
		}
	}
	c.sets = append([]cachedSet{{k, s}}, c.sets...)
	if len(c.sets) > loadedSetsKept {
		c.sets = c.sets[:loadedSetsKept]
	}
}

// Load is Compile for a stored document: it returns the Set compiled from src, from the
// in-process cache when the same name and text were loaded recently, else from form (a
// Set.Precompiled of the same name and text) when that is valid, else by parsing src. The
// result and its errors are those of Compile(name, src) in every case.
func Load(name string, src, form []byte) (*Set, error) {
	s, _, err := load(&loaded, name, src, form)
	return s, err
}

// Loaded returns the Set Load made recently from the same name and text, or nil: a caller
// can skip fetching the precompiled form when it has it.
func Loaded(name string, src []byte) *Set {
	return loaded.get(formKey(name, false, src))
}

// How load made a Set.
const (
	fromCache = "cache"
	fromForm  = "precompiled"
	fromText  = "text"
)

// load is Load with the cache to use (nil for none); it also says how the Set was made.
func load(c *setCache, name string, src, form []byte) (*Set, string, error) {
	k := formKey(name, false, src)
	if c != nil {
		if s := c.get(k); s != nil {
			return s, fromCache, nil
		}
	}
	how := fromForm
	var s *Set
	if len(form) > 0 && len(src) <= MaxDocumentBytes {
		if list, err := decodeForm(k, form); err == nil {
			if s, err = build(name, list, nil, false); err != nil {
				s = nil // not what Compile made: parse the text, which reports the problems
			}
		}
	}
	if s == nil {
		var err error
		if s, err = Compile(name, src); err != nil {
			return nil, "", err
		}
		how = fromText
	} else {
		s.served = true
	}
	s.key = k
	if c != nil {
		c.put(k, s)
	}
	return s, how, nil
}

// Precompiled returns the binary form of s that Load accepts beside the text s was compiled
// from. It fails for a Set not made by Compile or Load, and for a policy holding a literal
// the form does not carry (none that cedar-go's parser produces).
func (s *Set) Precompiled() ([]byte, error) {
	if s == nil || s.key == ([32]byte{}) {
		return nil, errors.New("policy: only a Set made by Compile or Load has a precompiled form")
	}
	e := &encoder{}
	e.buf.Write(formMagic)
	e.buf.Write(s.key[:])
	e.uvarint(uint64(len(s.all)))
	for _, en := range s.all {
		if err := e.policy(en.ast); err != nil {
			return nil, fmt.Errorf("policy: precompile %q: %w", string(en.id), err)
		}
	}
	sum := sha256.Sum256(e.buf.Bytes())
	e.buf.Write(sum[:])
	return e.buf.Bytes(), nil
}

// Node tags of the form.
const (
	tagValueBool byte = 1 + iota
	tagValueLong
	tagValueString
	tagValueEntity
	tagVariable
	tagIf
	tagOr
	tagAnd
	tagLess
	tagLessEq
	tagGreater
	tagGreaterEq
	tagNotEquals
	tagEquals
	tagIn
	tagHas
	tagHasTag
	tagLike
	tagIs
	tagIsIn
	tagSub
	tagAdd
	tagMult
	tagNegate
	tagNot
	tagAccess
	tagGetTag
	tagExtension
	tagContains
	tagContainsAll
	tagContainsAny
	tagIsEmpty
	tagRecord
	tagSet
)

// Scope tags.
const (
	scopeAll byte = 1 + iota
	scopeEq
	scopeIn
	scopeInSet
	scopeIs
	scopeIsIn
)

type encoder struct{ buf bytes.Buffer }

func (e *encoder) uvarint(v uint64) { e.buf.Write(binary.AppendUvarint(nil, v)) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.buf.WriteString(s) }
func (e *encoder) entity(u types.EntityUID) {
	e.str(string(u.Type))
	e.str(string(u.ID))
}

func (e *encoder) policy(p *xast.Policy) error {
	e.str(p.Position.Filename)
	e.uvarint(uint64(p.Position.Offset))
	e.uvarint(uint64(p.Position.Line))
	e.uvarint(uint64(p.Position.Column))
	if p.Effect == xast.EffectPermit {
		e.buf.WriteByte(1)
	} else {
		e.buf.WriteByte(0)
	}
	e.uvarint(uint64(len(p.Annotations)))
	for _, a := range p.Annotations {
		e.str(string(a.Key))
		e.str(string(a.Value))
	}
	for _, sc := range []xast.IsScopeNode{p.Principal, p.Action, p.Resource} {
		if err := e.scope(sc); err != nil {
			return err
		}
	}
	e.uvarint(uint64(len(p.Conditions)))
	for _, c := range p.Conditions {
		if c.Condition == xast.ConditionWhen {
			e.buf.WriteByte(1)
		} else {
			e.buf.WriteByte(0)
		}
		if err := e.node(c.Body); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) scope(sc xast.IsScopeNode) error {
	switch v := sc.(type) {
	case xast.ScopeTypeAll:
		e.buf.WriteByte(scopeAll)
	case xast.ScopeTypeEq:
		e.buf.WriteByte(scopeEq)
		e.entity(v.Entity)
	case xast.ScopeTypeIn:
		e.buf.WriteByte(scopeIn)
		e.entity(v.Entity)
	case xast.ScopeTypeInSet:
		e.buf.WriteByte(scopeInSet)
		e.uvarint(uint64(len(v.Entities)))
		for _, u := range v.Entities {
			e.entity(u)
		}
	case xast.ScopeTypeIs:
		e.buf.WriteByte(scopeIs)
		e.str(string(v.Type))
	case xast.ScopeTypeIsIn:
		e.buf.WriteByte(scopeIsIn)
		e.str(string(v.Type))
		e.entity(v.Entity)
	default:
		return fmt.Errorf("scope %T has no precompiled form", sc)
	}
	return nil
}

func (e *encoder) binary(tag byte, n xast.BinaryNode) error {
	e.buf.WriteByte(tag)
	if err := e.node(n.Left); err != nil {
		return err
	}
	return e.node(n.Right)
}

func (e *encoder) strOp(tag byte, n xast.StrOpNode) error {
	e.buf.WriteByte(tag)
	e.str(string(n.Value))
	return e.node(n.Arg)
}

func (e *encoder) unary(tag byte, n xast.UnaryNode) error {
	e.buf.WriteByte(tag)
	return e.node(n.Arg)
}

func (e *encoder) nodes(ns []xast.IsNode) error {
	e.uvarint(uint64(len(ns)))
	for _, n := range ns {
		if err := e.node(n); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) node(n xast.IsNode) error {
	switch v := n.(type) {
	case xast.NodeValue:
		switch val := v.Value.(type) {
		case types.Boolean:
			e.buf.WriteByte(tagValueBool)
			if val {
				e.buf.WriteByte(1)
			} else {
				e.buf.WriteByte(0)
			}
		case types.Long:
			e.buf.WriteByte(tagValueLong)
			e.buf.Write(binary.AppendVarint(nil, int64(val)))
		case types.String:
			e.buf.WriteByte(tagValueString)
			e.str(string(val))
		case types.EntityUID:
			e.buf.WriteByte(tagValueEntity)
			e.entity(val)
		default:
			return fmt.Errorf("literal %T has no precompiled form", v.Value)
		}
		return nil
	case xast.NodeTypeVariable:
		e.buf.WriteByte(tagVariable)
		e.str(string(v.Name))
		return nil
	case xast.NodeTypeIfThenElse:
		e.buf.WriteByte(tagIf)
		return e.nodes([]xast.IsNode{v.If, v.Then, v.Else})
	case xast.NodeTypeOr:
		return e.binary(tagOr, v.BinaryNode)
	case xast.NodeTypeAnd:
		return e.binary(tagAnd, v.BinaryNode)
	case xast.NodeTypeLessThan:
		return e.binary(tagLess, v.BinaryNode)
	case xast.NodeTypeLessThanOrEqual:
		return e.binary(tagLessEq, v.BinaryNode)
	case xast.NodeTypeGreaterThan:
		return e.binary(tagGreater, v.BinaryNode)
	case xast.NodeTypeGreaterThanOrEqual:
		return e.binary(tagGreaterEq, v.BinaryNode)
	case xast.NodeTypeNotEquals:
		return e.binary(tagNotEquals, v.BinaryNode)
	case xast.NodeTypeEquals:
		return e.binary(tagEquals, v.BinaryNode)
	case xast.NodeTypeIn:
		return e.binary(tagIn, v.BinaryNode)
	case xast.NodeTypeHas:
		return e.strOp(tagHas, v.StrOpNode)
	case xast.NodeTypeHasTag:
		return e.binary(tagHasTag, v.BinaryNode)
	case xast.NodeTypeLike:
		pat, err := v.Value.MarshalJSON()
		if err != nil {
			return err
		}
		e.buf.WriteByte(tagLike)
		e.str(string(pat))
		return e.node(v.Arg)
	case xast.NodeTypeIs:
		e.buf.WriteByte(tagIs)
		e.str(string(v.EntityType))
		return e.node(v.Left)
	case xast.NodeTypeIsIn:
		e.buf.WriteByte(tagIsIn)
		e.str(string(v.EntityType))
		if err := e.node(v.Left); err != nil {
			return err
		}
		return e.node(v.Entity)
	case xast.NodeTypeSub:
		return e.binary(tagSub, v.BinaryNode)
	case xast.NodeTypeAdd:
		return e.binary(tagAdd, v.BinaryNode)
	case xast.NodeTypeMult:
		return e.binary(tagMult, v.BinaryNode)
	case xast.NodeTypeNegate:
		return e.unary(tagNegate, v.UnaryNode)
	case xast.NodeTypeNot:
		return e.unary(tagNot, v.UnaryNode)
	case xast.NodeTypeAccess:
		return e.strOp(tagAccess, v.StrOpNode)
	case xast.NodeTypeGetTag:
		return e.binary(tagGetTag, v.BinaryNode)
	case xast.NodeTypeExtensionCall:
		e.buf.WriteByte(tagExtension)
		e.str(string(v.Name))
		return e.nodes(v.Args)
	case xast.NodeTypeContains:
		return e.binary(tagContains, v.BinaryNode)
	case xast.NodeTypeContainsAll:
		return e.binary(tagContainsAll, v.BinaryNode)
	case xast.NodeTypeContainsAny:
		return e.binary(tagContainsAny, v.BinaryNode)
	case xast.NodeTypeIsEmpty:
		return e.unary(tagIsEmpty, v.UnaryNode)
	case xast.NodeTypeRecord:
		e.buf.WriteByte(tagRecord)
		e.uvarint(uint64(len(v.Elements)))
		for _, el := range v.Elements {
			e.str(string(el.Key))
			if err := e.node(el.Value); err != nil {
				return err
			}
		}
		return nil
	case xast.NodeTypeSet:
		e.buf.WriteByte(tagSet)
		return e.nodes(v.Elements)
	}
	return fmt.Errorf("expression %T has no precompiled form", n)
}

// decoder reads a precompiled form. Every read is bounds-checked; a malformed form is an
// error, never a panic.
type decoder struct {
	b   []byte
	err error
	// text is what b was made from, as one string: every string read is a piece of it, so
	// the names that repeat through a set (types, attributes, variables) cost no allocation
	// each, and all of them one.
	text string
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errForm
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in what is left, each item taking at least one byte.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) int() int {
	v := d.uvarint()
	if v > 1<<31 {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	n := d.count()
	at := len(d.text) - len(d.b) // b is always the end of text
	d.b = d.b[n:]
	return d.text[at : at+n]
}

func (d *decoder) entity() types.EntityUID {
	t := d.str()
	return types.NewEntityUID(types.EntityType(t), types.String(d.str()))
}

// decodeForm checks that form was made for key and returns its policies.
func decodeForm(key [32]byte, form []byte) (list []*xast.Policy, err error) {
	defer func() {
		if v := recover(); v != nil {
			list, err = nil, fmt.Errorf("%w: %v", errForm, v)
		}
	}()
	if !bytes.HasPrefix(form, formMagic) || len(form) < len(formMagic)+len(key)+sha256.Size ||
		!bytes.Equal(form[len(formMagic):len(formMagic)+len(key)], key[:]) {
		return nil, errForm
	}
	body, sum := form[:len(form)-sha256.Size], form[len(form)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, errForm // damaged
	}
	d := &decoder{b: body[len(formMagic)+len(key):]}
	d.text = string(d.b)
	n := d.count()
	list = make([]*xast.Policy, 0, n)
	for range n {
		p := d.policy()
		if d.err != nil {
			return nil, d.err
		}
		list = append(list, p)
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errForm
	}
	return list, nil
}

func (d *decoder) policy() *xast.Policy {
	p := &xast.Policy{}
	p.Position.Filename = d.str()
	p.Position.Offset = d.int()
	p.Position.Line = d.int()
	p.Position.Column = d.int()
	switch d.byte() {
	case 1:
		p.Effect = xast.EffectPermit
	case 0:
		p.Effect = xast.EffectForbid
	default:
		d.fail()
	}
	if n := d.count(); n > 0 {
		p.Annotations = make([]xast.AnnotationType, n)
		for i := range p.Annotations {
			p.Annotations[i].Key = types.AnnotationKey(d.str())
			p.Annotations[i].Value = types.String(d.str())
		}
	}
	p.Principal, _ = d.scope().(xast.IsPrincipalScopeNode)
	p.Action, _ = d.scope().(xast.IsActionScopeNode)
	p.Resource, _ = d.scope().(xast.IsResourceScopeNode)
	if p.Principal == nil || p.Action == nil || p.Resource == nil {
		d.fail()
	}
	if n := d.count(); n > 0 {
		p.Conditions = make([]xast.ConditionType, n)
		for i := range p.Conditions {
			switch d.byte() {
			case 1:
				p.Conditions[i].Condition = xast.ConditionWhen
			case 0:
				p.Conditions[i].Condition = xast.ConditionUnless
			default:
				d.fail()
			}
			p.Conditions[i].Body = d.node(0)
		}
	}
	return p
}

func (d *decoder) scope() xast.IsScopeNode {
	switch d.byte() {
	case scopeAll:
		return xast.ScopeTypeAll{}
	case scopeEq:
		return xast.ScopeTypeEq{Entity: d.entity()}
	case scopeIn:
		return xast.ScopeTypeIn{Entity: d.entity()}
	case scopeInSet:
		n := d.count()
		ents := make([]types.EntityUID, n)
		for i := range ents {
			ents[i] = d.entity()
		}
		return xast.ScopeTypeInSet{Entities: ents}
	case scopeIs:
		return xast.ScopeTypeIs{Type: types.EntityType(d.str())}
	case scopeIsIn:
		t := d.str()
		return xast.ScopeTypeIsIn{Type: types.EntityType(t), Entity: d.entity()}
	}
	d.fail()
	return nil
}

func (d *decoder) binaryNode(depth int) xast.BinaryNode {
	l := d.node(depth + 1)
	return xast.BinaryNode{Left: l, Right: d.node(depth + 1)}
}

func (d *decoder) nodeList(depth int) []xast.IsNode {
	n := d.count()
	out := make([]xast.IsNode, n)
	for i := range out {
		out[i] = d.node(depth + 1)
	}
	return out
}

func (d *decoder) node(depth int) xast.IsNode {
	if depth > maxFormDepth {
		d.fail()
	}
	if d.err != nil {
		return xast.NodeValue{Value: types.False}
	}
	switch d.byte() {
	case tagValueBool:
		switch d.byte() {
		case 0:
			return xast.NodeValue{Value: types.False}
		case 1:
			return xast.NodeValue{Value: types.True}
		}
	case tagValueLong:
		v, n := binary.Varint(d.b)
		if n <= 0 {
			break
		}
		d.b = d.b[n:]
		return xast.NodeValue{Value: types.Long(v)}
	case tagValueString:
		return xast.NodeValue{Value: types.String(d.str())}
	case tagValueEntity:
		return xast.NodeValue{Value: d.entity()}
	case tagVariable:
		return xast.NodeTypeVariable{Name: types.String(d.str())}
	case tagIf:
		ns := d.nodeList(depth)
		if len(ns) != 3 {
			break
		}
		return xast.NodeTypeIfThenElse{If: ns[0], Then: ns[1], Else: ns[2]}
	case tagOr:
		return xast.NodeTypeOr{BinaryNode: d.binaryNode(depth)}
	case tagAnd:
		return xast.NodeTypeAnd{BinaryNode: d.binaryNode(depth)}
	case tagLess:
		return xast.NodeTypeLessThan{BinaryNode: d.binaryNode(depth)}
	case tagLessEq:
		return xast.NodeTypeLessThanOrEqual{BinaryNode: d.binaryNode(depth)}
	case tagGreater:
		return xast.NodeTypeGreaterThan{BinaryNode: d.binaryNode(depth)}
	case tagGreaterEq:
		return xast.NodeTypeGreaterThanOrEqual{BinaryNode: d.binaryNode(depth)}
	case tagNotEquals:
		return xast.NodeTypeNotEquals{BinaryNode: d.binaryNode(depth)}
	case tagEquals:
		return xast.NodeTypeEquals{BinaryNode: d.binaryNode(depth)}
	case tagIn:
		return xast.NodeTypeIn{BinaryNode: d.binaryNode(depth)}
	case tagHas:
		v := types.String(d.str())
		return xast.NodeTypeHas{StrOpNode: xast.StrOpNode{Value: v, Arg: d.node(depth + 1)}}
	case tagHasTag:
		return xast.NodeTypeHasTag{BinaryNode: d.binaryNode(depth)}
	case tagLike:
		var pat types.Pattern
		if err := pat.UnmarshalJSON([]byte(d.str())); err != nil {
			break
		}
		return xast.NodeTypeLike{Value: pat, Arg: d.node(depth + 1)}
	case tagIs:
		t := types.EntityType(d.str())
		return xast.NodeTypeIs{EntityType: t, Left: d.node(depth + 1)}
	case tagIsIn:
		t := types.EntityType(d.str())
		l := d.node(depth + 1)
		return xast.NodeTypeIsIn{NodeTypeIs: xast.NodeTypeIs{EntityType: t, Left: l}, Entity: d.node(depth + 1)}
	case tagSub:
		return xast.NodeTypeSub{BinaryNode: d.binaryNode(depth)}
	case tagAdd:
		return xast.NodeTypeAdd{BinaryNode: d.binaryNode(depth)}
	case tagMult:
		return xast.NodeTypeMult{BinaryNode: d.binaryNode(depth)}
	case tagNegate:
		return xast.NodeTypeNegate{UnaryNode: xast.UnaryNode{Arg: d.node(depth + 1)}}
	case tagNot:
		return xast.NodeTypeNot{UnaryNode: xast.UnaryNode{Arg: d.node(depth + 1)}}
	case tagAccess:
		v := types.String(d.str())
		return xast.NodeTypeAccess{StrOpNode: xast.StrOpNode{Value: v, Arg: d.node(depth + 1)}}
	case tagGetTag:
		return xast.NodeTypeGetTag{BinaryNode: d.binaryNode(depth)}
	case tagExtension:
		name := types.Path(d.str())
		return xast.NodeTypeExtensionCall{Name: name, Args: d.nodeList(depth)}
	case tagContains:
		return xast.NodeTypeContains{BinaryNode: d.binaryNode(depth)}
	case tagContainsAll:
		return xast.NodeTypeContainsAll{BinaryNode: d.binaryNode(depth)}
	case tagContainsAny:
		return xast.NodeTypeContainsAny{BinaryNode: d.binaryNode(depth)}
	case tagIsEmpty:
		return xast.NodeTypeIsEmpty{UnaryNode: xast.UnaryNode{Arg: d.node(depth + 1)}}
	case tagRecord:
		n := d.count()
		els := make([]xast.RecordElementNode, n)
		for i := range els {
			els[i].Key = types.String(d.str())
			els[i].Value = d.node(depth + 1)
		}
		return xast.NodeTypeRecord{Elements: els}
	case tagSet:
		return xast.NodeTypeSet{Elements: d.nodeList(depth)}
	}
	d.fail()
	return xast.NodeValue{Value: types.False}
}
