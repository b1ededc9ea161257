package idpbuilder

import (
	"fmt"
	"strings"
)

// The keys of idpbuilder's gitea-credential secret.
const (
	DefaultUsernameKey = "username"
	DefaultPasswordKey = "password"
)

// SecretRef says where the Gitea admin credentials are: the secret, the key
// that holds the password, and the user name, either fixed (a GiteaProvider
// states it in its status) or read from a key of the secret.
type SecretRef struct {
	Namespace string
	Name      string
	// UsernameKey is the secret's key holding the user name; empty means
	// DefaultUsernameKey. Unused when Username is set.
	UsernameKey string
	// PasswordKey is the secret's key holding the password; empty means
	// DefaultPasswordKey.
	PasswordKey string
	// Username, when set, is the user name; the secret then needs only the
	// password key.
	Username string
}

// WithDefaults fills what idpbuilder's own secret uses for every field left
// empty.
func (r SecretRef) WithDefaults() SecretRef {
	if r.Namespace == "" {
		r.Namespace = DefaultNamespace
	}
	if r.Name == "" {
		r.Name = DefaultSecret
	}
	if r.PasswordKey == "" {
		r.PasswordKey = DefaultPasswordKey
	}
	if r.UsernameKey == "" && r.Username == "" {
		r.UsernameKey = DefaultUsernameKey
	}
	return r
}

// String names the secret and its keys for messages; it holds no secret.
func (r SecretRef) String() string {
	r = r.WithDefaults()
	user := "key " + r.UsernameKey
	if r.Username != "" {
		user = "user " + r.Username
	}
	return fmt.Sprintf("%s/%s (password key %s, %s)", r.Namespace, r.Name, r.PasswordKey, user)
}

// isLabel reports whether s is an RFC 1123 label: lower-case letters,
// digits and '-', starting and ending with a letter or digit. (Hand-written:
// a package-level regexp costs every start of the program docker runs.)
func isLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') })
}

// isSubdomain reports whether s is an RFC 1123 subdomain: labels joined by dots.
func isSubdomain(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if !isLabel(label) {
			return false
		}
	}
	return true
}

// isSecretKey reports whether s is what the API server accepts as a key of
// a secret's data (without the length and dot rules).
func isSecretKey(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	})
}

// CheckNamespace reports whether s can name a namespace.
func CheckNamespace(s string) error {
	if len(s) > 63 || !isLabel(s) {
		return fmt.Errorf("%q is not a namespace name (lower-case letters, digits and '-', at most 63)", s)
	}
	return nil
}

// CheckObjectName reports whether s can name a secret.
func CheckObjectName(s string) error {
	if len(s) > 253 || !isSubdomain(s) {
		return fmt.Errorf("%q is not an object name (lower-case letters, digits, '-' and '.', at most 253)", s)
	}
	return nil
}

// CheckSecretKey reports whether s can be a key of a secret's data.
func CheckSecretKey(s string) error {
	if len(s) > 253 || !isSecretKey(s) || s == "." || s == ".." {
		return fmt.Errorf("%q is not a secret key (letters, digits, '-', '_' and '.', at most 253)", s)
	}
	return nil
}

// CheckUsername reports whether s can be sent as the user name of HTTP
// basic authentication, as registry clients send it: not empty, no colon,
// no control character, no space.
func CheckUsername(s string) error {
	if s == "" || len(s) > 255 || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == ':' || r == 0x7f }) {
		return fmt.Errorf("%q is not a user name (no colon, space or control character, at most 255)", s)
	}
	return nil
}

// Check validates every field that is set, naming the first bad one: the
// values come from the cluster or a hand-edited table, and name URL path
// segments and the companion's arguments.
func (r SecretRef) Check() error {
	for _, f := range []struct {
		field, value string
		check        func(string) error
	}{
		{"namespace", r.Namespace, CheckNamespace},
		{"name", r.Name, CheckObjectName},
		{"username key", r.UsernameKey, CheckSecretKey},
		{"password key", r.PasswordKey, CheckSecretKey},
		{"user name", r.Username, CheckUsername},
	} {
		if f.value == "" {
			continue
		}
		if err := f.check(f.value); err != nil {
			return fmt.Errorf("secret %s: %w", f.field, err)
		}
	}
	return nil
}
