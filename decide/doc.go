// Package decide is finance's answer to the exceptions: the decisions
// finance records in the workbook (or a CSV), checked against the run
// they are for, and the history they go into.
//
// Data enters as Rows, read from a CSV here (ReadCSV) or from the
// workbook by package reports, and leaves as recon.Decision entries that
// Plan made of them and Seal chained: the store appends them, all or
// none, and never changes one. Each entry carries the hash of the entry
// before it and its own, over a canonical encoding of every field, so
// that Verify finds the first entry of a history that was edited,
// reordered or cut in the middle.
//
// Status says where an exception stands by its latest decision: an
// accepted or written-off exception is explained while its amounts are
// those the decision was made on, and reopens when they change.
package decide
