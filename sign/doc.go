// Package sign computes and verifies the HMAC signatures of both APIs.
//
// Xepeng signs every request over METHOD+PATH+TIMESTAMP+BODY with the
// client secret; OxPay signs request and webhook JSON payloads with the
// merchant's sign key. Both the API clients (fetch/) and the sandbox use
// this package, so a client and the server it talks to can never disagree
// about what a signature covers. It makes no HTTP calls.
package sign
