package condition

// A text condition can only be true when its value occurs in one text of
// the facts. Stating that literal lets the engine index thousands of
// workflows by the texts they need and evaluate, for one event, only those
// whose literals occur in it, instead of every workflow of the trigger.

// Field names a text of the facts that text conditions compare.
type Field int

// The texts text conditions compare.
const (
	FieldSubject      Field = iota // the ticket's subject
	FieldBody                      // the message's body
	FieldSender                    // the sender's email: the message's, else the contact's
	FieldSenderDomain              // the sender's email after its last @
	numFields
)

// NumFields is how many Fields there are, for tables indexed by Field.
const NumFields = int(numFields)

// textOf reads the raw text of each field; false when the facts lack it.
var textOf = [numFields]func(*Facts) (string, bool){
	FieldSubject:      subject,
	FieldBody:         body,
	FieldSender:       senderEmail,
	FieldSenderDomain: senderDomain,
}

// Text returns the comparison form (trimmed, case-folded) of a text of the
// facts, exactly as text conditions read it, sharing their cache. ok is
// false when the facts lack the text (no ticket, no message, no sender, a
// sender without @): every text condition on that field is then false,
// whatever its value.
func (f *Facts) Text(field Field) (text string, ok bool) {
	if field < 0 || field >= numFields {
		return "", false
	}
	raw, ok := textOf[field](f)
	if !ok {
		return "", false
	}
	return f.norm(field, raw), true
}

// Requirement is a necessary condition for a condition to be true: the
// facts have the text of Field (Facts.Text is ok) and Literal occurs in it
// (strings.Contains). An empty Literal means the condition is never true:
// a value that is blank once trimmed matches nothing.
type Requirement struct {
	Field   Field
	Literal string
}

// Never reports whether the condition the requirement belongs to can never
// be true.
func (r Requirement) Never() bool { return r.Literal == "" }

// Required returns the literal a condition needs; ok is false for types
// that need none (tags, channel, flags, variables, unknown types). For
// *_contains it is the normalized value, for *_equals too, since equality
// implies containment; from_domain_equals needs its value (without a
// leading @) in the sender's domain.
func Required(spec Spec) (r Requirement, ok bool) {
	d, known := registry[spec.Type]
	if !known || d.require == nil {
		return Requirement{}, false
	}
	return d.require(spec.Parameters), true
}
