// Package sandbox is one local HTTP server that behaves like both staging
// APIs, so the clients, the contract tool, the demo and the benchmarks
// can run without a network. It is seeded from a gen.Dataset at New and
// keeps all state in memory; nothing in it is persisted.
//
// Xepeng, under /openapi (base URL = the server's URL):
//
//	POST /openapi/orders                            201 create (status pending)
//	GET  /openapi/orders?page=&limit=               200 list (page 1, limit 10, max 100)
//	GET  /openapi/orders/{uid}                      200 | 404 NOT_FOUND
//	PUT  /openapi/orders/{uid}                      200 update; status defaults to active
//	POST /openapi/payment-links/generate            201 | 404 | 422 INVALID_ORDER_STATUS
//	GET  /openapi/payment-links?page=&limit=        200 list
//	GET  /openapi/payment-links/{uid}               200 | 404
//	PUT  /openapi/payment-links/{uid}/inactivate    200 (idempotent) | 422 when paid
//
// Every call needs X-Client-ID, X-Timestamp (Unix seconds within
// Config.ClockSkew of Now) and X-Signature over METHOD+PATH+TIMESTAMP+BODY
// (path without query, raw body bytes); otherwise 401 UNAUTHORIZED.
// Responses use {status, message, data}. Bad input, malformed JSON
// included, is 422 VALIDATION_ERROR with field errors (data.errors).
// Lists are sorted by created_at then uid; a page past the end is empty
// with the true pagination, and an empty list has total_pages 0.
//
// OxPay, under /oxpay (a client's base URL is the server's URL + "/oxpay"):
//
//	POST /oxpay/payment-page               hosted page URL; session lives 30 minutes
//	GET  /oxpay/payment?session_id=        the session, flat (no envelope)
//	POST /oxpay/payment                    sale: success, or authorized when capture is false
//	POST /oxpay/void                       the sale becomes voided; see Config.VoidStyle
//	POST /oxpay/refund                     a new REFUND transaction; the sale is unchanged
//	POST /oxpay/capture                    authorized → captured, same id
//	GET  /oxpay/payment/{oxpay_txn_id}     the transaction
//
// A void takes the style of Config.VoidStyle (by default the dataset's,
// else same-id): same-id keeps the sale's id, creates no transaction and
// answers with the sale's id; own-id, as OxPay's document describes it,
// also creates a VOID transaction with an id of its own and the request's
// merchant_reference_id, naming the sale in oxpay_original_txn_id, and
// answers with both ids.
//
// Every call needs Authorization: Bearer <api key> and a User-Agent; every
// POST a Signature header (HMAC-SHA256 of the body with the sign key).
// A missing or wrong API key is 401; a bad Signature, like anything else
// rejected, is 400 with headers.status_code 2 and body {status:
// "Rejected", status_desc}.
//
// Default credentials (DefaultConfig): Xepeng client sandbox-client /
// sandbox-secret; OxPay API key ak-sandbox, sign key sandbox-sign-key,
// merchant 100000001, terminal 10000000000001.
//
// Lifecycle rules:
//   - orders: pending → active, pending → inactive, active → inactive;
//     items change only while pending (sending the current items again,
//     as the official Node package always does, is allowed); the same
//     status again is a no-op.
//   - a link needs an active order; it is paid when a sale (or a capture)
//     names its uid, or its order's uid, as merchant_reference_id, unless
//     it has expired. Amounts are not compared: that is reconciliation's
//     job. A void or refund leaves the link paid.
//   - a merchant_reference_id holds one standing sale per terminal; a void
//     frees it.
//   - void needs a success or authorized sale without refunds, for the
//     full amount; refunds need a success or captured sale and together
//     never exceed its amount.
//
// Fault injection: Config.Faults (recon sandbox serve --faults, read by
// ParseFaults) makes a share of the requests to the API routes fail on
// purpose; the browser pages and unknown routes are never faulted. Kinds:
// 500, 502, 503 and 429 in the API's error envelope (Xepeng's
// {status: error} with a code, OxPay's status_code 3), 429 and 503 with
// Retry-After; timeout holds the request until the client gives up (or
// Faults.Hold passes, then 504); reset closes the connection with a TCP
// reset and no answer; cut-body promises the whole body in Content-Length
// and closes after half of it; truncated is the real status with half the
// body and an honest Content-Length (invalid JSON); nonjson is a 200
// text/html page; slow is the right answer after Faults.SlowDelay. The
// error kinds, timeout, reset and nonjson never reach the handler, so the
// state is unchanged; cut-body and truncated run it (a POST's change is
// made, its answer lost); slow runs it late.
//
// Which request fails, and how, is a hash of the seed, the request's
// method, path and query, and how many times that identity was asked
// before: never of arrival order or of a shared random stream, so
// concurrent clients get the same faults as sequential ones, and the same
// seed and calls repeat a night exactly. No identity is faulted more than
// Faults.MaxConsecutive (default 2) times in a row, so a client that tries
// each call three times or more always completes. Every request record
// carries the fault injected (RequestRecord.Fault).
//
// Planted defects: Config.Defects (recon sandbox serve --defects, read by
// ParseDefects) break one operation each, so the contract tool's generated
// cases can be shown to find them: boundary-crash (GET
// /openapi/payment-links answers 500 when limit is 100, its documented
// maximum), invalid-enum (PUT /openapi/orders/{uid} answers 200 to a status
// outside its enum, leaving the order as it was) and page2-field (GET
// /openapi/orders drops every order's currency from page 2 on).
//
// New records get ids that cannot collide with generated ones: orders
// ORD-SBX-000001..., links PL-SBX-000001..., transactions continue after
// the dataset's highest numeric id. The same calls in the same order
// always give the same ids and bodies under a fixed Config.Now.
package sandbox
