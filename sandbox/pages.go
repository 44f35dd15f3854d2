package sandbox

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/reconkit/reconkit/wire"
)

// The pages behind payment_url and oxpay_hpp_url, so the URLs the
// sandbox hands out lead somewhere when a person opens them in the demo.
// They only show state; paying goes through POST /oxpay/payment.
var (
	linkPageTmpl = template.Must(template.New("link").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sandbox payment link {{.UID}}</title></head>
<body><h1>Payment link {{.UID}}</h1>
<p>Order {{.OrderUID}}: {{.Amount}} {{.Currency}}, status <strong>{{.Status}}</strong>.</p>
<p>This is the reconkit sandbox; no money moves.</p></body></html>
`))
	hostedPageTmpl = template.Must(template.New("hpp").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sandbox hosted payment page</title></head>
<body><h1>{{.MerchantName}}</h1>
<p>{{.Description}}: {{.TransactionAmount}} {{.TransactionCurrency}} (reference {{.MerchantReferenceID}}).</p>
<ul>{{range .PaymentBrandList}}<li>{{.BrandName}} ({{.MethodName}})</li>{{end}}</ul>
<p>This is the reconkit sandbox; no money moves.</p></body></html>
`))
)

func writeHTML(w http.ResponseWriter, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) linkPage(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.st.mu.RLock()
	l, ok := s.st.linkByUID[r.PathValue("uid")]
	var out wire.PaymentLink
	if ok {
		out = *l
	}
	s.st.mu.RUnlock()
	if !ok {
		xepengError(w, http.StatusNotFound, "Payment link not found", codeNotFound, nil)
		return
	}
	writeHTML(w, linkPageTmpl, out)
}

func (s *Server) hostedPage(w http.ResponseWriter, r *http.Request, _ []byte) {
	sp, ok := s.lookupSession(r.URL.Query().Get("session_id"))
	if !ok {
		s.oxReject(w, http.StatusBadRequest, "The session id is invalid or has expired.")
		return
	}
	writeHTML(w, hostedPageTmpl, sp)
}
