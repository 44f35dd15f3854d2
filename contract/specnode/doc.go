// Package specnode reads an OpenAPI document as a plain YAML tree
// (yaml.v3 nodes), the way lint and diff see it so that findings can name
// lines: the value of a key, the key itself, the node a JSON pointer
// names. Every lookup follows YAML aliases, so an anchored part of a
// spec reads the same wherever it is used. It also turns values decoded
// from YAML into ones encoding/json accepts.
package specnode
