package specs

import (
	"embed"
	"io/fs"
)

// files holds every document in this directory. Embedding by pattern means
// a new spec ships without touching Go code.
//
//go:embed *.yaml
var files embed.FS

// File names of the embedded documents, as FS lists them.
const (
	XepengFile = "xepeng-openapi.yaml"
	OxPayFile  = "oxpay-openapi.yaml"
)

// Xepeng returns the Xepeng Open API document (OpenAPI 3.1, YAML).
func Xepeng() []byte { return mustRead(XepengFile) }

// OxPay returns the OxPay Payments API document (OpenAPI 3.1, YAML).
func OxPay() []byte { return mustRead(OxPayFile) }

// FS returns the embedded documents, for callers that load specs by name
// (for example a --spec flag that defaults to an embedded file).
func FS() fs.FS { return files }

// mustRead panics only if the embed is broken, which the build would have
// caught: the file names are constants checked by the tests.
func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("specs: read embedded " + name + ": " + err.Error())
	}
	return b
}
