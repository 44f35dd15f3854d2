package diff

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// requirement is one alternative of a security requirement list: every
// scheme it names must be satisfied, with the scopes listed for it.
type requirement map[string][]string

func (r requirement) String() string {
	if len(r) == 0 {
		return "{} (anonymous)"
	}
	var parts []string
	for _, s := range sortedKeys(r) {
		p := s
		if len(r[s]) > 0 {
			p += "[" + strings.Join(r[s], ",") + "]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " + ")
}

// satisfiedBy reports whether a client that meets r also meets o: o asks
// for no scheme r does not, and for no scope r does not.
func (r requirement) satisfies(o requirement) bool {
	for s, scopes := range o {
		have, ok := r[s]
		if !ok {
			return false
		}
		for _, sc := range scopes {
			if !slices.Contains(have, sc) {
				return false
			}
		}
	}
	return true
}

func sameSchemes(a, b requirement) bool {
	if len(a) != len(b) {
		return false
	}
	for s := range a {
		if _, ok := b[s]; !ok {
			return false
		}
	}
	return true
}

func requirements(n *yaml.Node) []requirement {
	var out []requirement
	for _, alt := range items(n) {
		r := requirement{}
		ks, vs := pairs(alt)
		for i, k := range ks {
			var scopes []string
			for _, sc := range items(vs[i]) {
				scopes = append(scopes, sc.Value)
			}
			sort.Strings(scopes)
			r[k.Value] = scopes
		}
		out = append(out, r)
	}
	return out
}

// effectiveSecurity is what an operation requires: its own security list
// if it has one, else the document's. The node is where it is written.
func effectiveSecurity(root, op *yaml.Node) ([]requirement, *yaml.Node, bool) {
	if k, v := specnode.Key(op, "security"); k != nil {
		return requirements(v), k, true
	}
	if k, v := specnode.Key(root, "security"); k != nil {
		return requirements(v), k, false
	}
	return nil, nil, false
}

func anonymous(rs []requirement) bool {
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if len(r) == 0 {
			return true
		}
	}
	return false
}

func listReqs(rs []requirement) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, " or ")
}

// security judges each operation's effective requirements: a client that
// authenticated one way before must still be accepted, so a requirement
// where there was none, an alternative gone, or a scope added breaks it;
// an alternative added or a scope dropped does not.
func (w *walker) security() {
	globalSame := sameNode(specnode.Get(w.o.root, "security"), specnode.Get(w.n.root, "security"))
	for _, p := range w.ops {
		if globalSame && sameNode(specnode.Get(p.o, "security"), specnode.Get(p.n, "security")) {
			continue
		}
		olds, oNode, oOwn := effectiveSecurity(w.o.root, p.o)
		news, nNode, nOwn := effectiveSecurity(w.n.root, p.n)
		s := p.s
		ptr := s.ptr + "/security"
		v := vals{old: listReqs(olds), new: listReqs(news), oldLine: line(oNode), newLine: line(nNode)}
		where := func(own bool) string {
			if own {
				return "the operation's own"
			}
			return "the document's"
		}
		oldAnon, newAnon := anonymous(olds), anonymous(news)
		switch {
		case oldAnon && !newAnon:
			w.emit(s, RuleSecurityAdded, ptr, v.new, fmt.Sprintf("%s %s now requires %s (%s security); anonymous calls are rejected", s.method, s.path, v.new, where(nOwn)), v)
			continue
		case !oldAnon && newAnon:
			w.emit(s, RuleSecurityRemoved, ptr, v.old, fmt.Sprintf("%s %s no longer requires authentication (was %s)", s.method, s.path, v.old), v)
			continue
		case oldAnon && newAnon:
			continue
		}
		narrowed := false
		for _, o := range olds {
			ok := false
			for _, n := range news {
				if o.satisfies(n) {
					ok = true
					if sameSchemes(o, n) && !n.satisfies(o) {
						w.emit(s, RuleSecurityScopeRemoved, ptr, o.String()+"->"+n.String(),
							fmt.Sprintf("%s %s asks for fewer scopes: %s instead of %s", s.method, s.path, n, o), v)
					}
					break
				}
			}
			if ok {
				continue
			}
			var same *requirement
			for i, n := range news {
				if sameSchemes(o, n) {
					same = &news[i]
				}
			}
			if same != nil {
				var added []string
				for sc, scopes := range *same {
					for _, x := range scopes {
						if !slices.Contains(o[sc], x) {
							added = append(added, sc+":"+x)
						}
					}
				}
				sort.Strings(added)
				narrowed = true
				w.emit(s, RuleSecurityScopeAdded, ptr, o.String()+"->"+same.String(),
					fmt.Sprintf("%s %s now asks for scope %s (%s instead of %s); tokens without it are rejected", s.method, s.path, strings.Join(added, ", "), same, o), v)
				continue
			}
			msg := fmt.Sprintf("%s %s no longer accepts %s: it requires %s", s.method, s.path, o, v.new)
			if nOwn && !oOwn {
				msg = fmt.Sprintf("%s %s has its own security %s replacing the document's %s: clients authenticating with %s are rejected", s.method, s.path, v.new, v.old, o)
			}
			narrowed = true
			w.emit(s, RuleSecurityAltRemoved, ptr, o.String(), msg, v)
		}
		if narrowed {
			// the new requirements are named in the findings above
			continue
		}
		for _, n := range news {
			covered := false
			for _, o := range olds {
				if sameSchemes(o, n) {
					covered = true
				}
			}
			if !covered {
				w.emit(s, RuleSecurityAltAdded, ptr, n.String(), fmt.Sprintf("%s %s also accepts %s", s.method, s.path, n), v)
			}
		}
	}
}

// securityScheme compares one security scheme: how credentials are sent
// or obtained breaks clients; descriptions and new scopes do not.
func (w *walker) securityScheme(s site, o, n *yaml.Node) {
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "type", "in", "name", "scheme", "openIdConnectUrl":
			w.emit(s, RuleSecuritySchemeChanged, s.ptr+"/"+k, k, describe(k, ov, nv), keys(o, n, k))
		case "flows":
			for _, f := range unionKeys(ov, nv) {
				of, nf := specnode.Get(ov, f), specnode.Get(nv, f)
				fs := s.at("flows", f)
				switch {
				case of == nil:
					w.emit(s, RuleMetadataChanged, fs.ptr, f, fmt.Sprintf("OAuth flow %s added", f), vals{newLine: keyLine(nv, f)})
				case nf == nil:
					w.emit(s, RuleSecuritySchemeChanged, fs.ptr, f, fmt.Sprintf("OAuth flow %s removed", f), vals{oldLine: keyLine(ov, f)})
				default:
					for _, fk := range unionKeys(of, nf) {
						a, b := specnode.Get(of, fk), specnode.Get(nf, fk)
						if sameNode(a, b) {
							continue
						}
						if fk != "scopes" {
							rule := RuleSecuritySchemeChanged
							if strings.HasPrefix(fk, "x-") {
								rule = RuleMetadataChanged
							}
							w.emit(s, rule, fs.ptr+"/"+fk, fk, describe(f+" "+fk, a, b), keys(of, nf, fk))
							continue
						}
						for _, sc := range unionKeys(a, b) {
							switch {
							case specnode.Get(a, sc) == nil:
								w.emit(s, RuleMetadataChanged, fs.ptr+"/scopes", sc, fmt.Sprintf("scope %s added to flow %s", sc, f), vals{newLine: keyLine(b, sc)})
							case specnode.Get(b, sc) == nil:
								w.emit(s, RuleSecuritySchemeChanged, fs.ptr+"/scopes", sc, fmt.Sprintf("scope %s removed from flow %s; clients asking for it are refused a token", sc, f), vals{oldLine: keyLine(a, sc)})
							}
						}
					}
				}
			}
		default:
			w.metadata(s, o, n, k)
		}
	}
}
