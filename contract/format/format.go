// Package format holds what the contract commands (test, diff, lint and
// webhooks) share when they write a report: the JUnit XML and SARIF 2.1.0
// document shapes and their encoders, so every command puts the same
// structure in front of CI systems and code-scanning views; the escaping
// of spec text in Markdown; and a Printer for text reports. It knows
// nothing of what the findings are.
package format

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
)

// JUnitSuites is the <testsuites> root CI systems read:
// testsuites > testsuite > testcase > failure | skipped.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []JUnitCase `xml:"testcase"`
}

// JUnitCase is one <testcase>: passing, failing or skipped, with optional
// system-out.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitFailure is a <failure>.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped is a <skipped>.
type JUnitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes doc with the XML header, indented, ending in a newline.
func WriteJUnit(w io.Writer, doc JUnitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SARIFSchema is the schema URI written into SARIF logs.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// SARIFLog is the root of a SARIF 2.1.0 log: the subset code-scanning
// tools read.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of one tool.
type SARIFRun struct {
	Tool    SARIFTool     `json:"tool"`
	Results []SARIFResult `json:"results"`
}

// SARIFTool names the tool.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is the tool component and its rules.
type SARIFDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is one rule with its default level.
type SARIFRule struct {
	ID               string            `json:"id"`
	ShortDescription SARIFText         `json:"shortDescription"`
	DefaultConfig    SARIFRuleConfig   `json:"defaultConfiguration"`
	Properties       map[string]string `json:"properties,omitempty"`
}

// SARIFRuleConfig carries a rule's default level.
type SARIFRuleConfig struct {
	Level string `json:"level"`
}

// SARIFText is a plain-text message.
type SARIFText struct {
	Text string `json:"text"`
}

// SARIFResult is one finding.
type SARIFResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             SARIFText          `json:"message"`
	Locations           []SARIFLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []SARIFSuppression `json:"suppressions,omitempty"`
}

// SARIFLocation places a finding in a file.
type SARIFLocation struct {
	PhysicalLocation SARIFPhysical `json:"physicalLocation"`
}

// SARIFPhysical is a file and a region.
type SARIFPhysical struct {
	ArtifactLocation SARIFArtifact `json:"artifactLocation"`
	Region           SARIFRegion   `json:"region"`
}

// SARIFArtifact names the file.
type SARIFArtifact struct {
	URI string `json:"uri"`
}

// SARIFRegion is the line.
type SARIFRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFSuppression records why a finding is accepted.
type SARIFSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// At returns the location of line in file uri; lines below 1 become 1,
// since SARIF regions start there.
func At(uri string, line int) []SARIFLocation {
	if line <= 0 {
		line = 1
	}
	return []SARIFLocation{{PhysicalLocation: SARIFPhysical{ArtifactLocation: SARIFArtifact{URI: uri}, Region: SARIFRegion{StartLine: line}}}}
}

// WriteSARIF writes one run of driver with its results as an indented
// SARIF 2.1.0 log.
func WriteSARIF(w io.Writer, driver SARIFDriver, results []SARIFResult) error {
	if results == nil {
		results = []SARIFResult{} // "results": [] rather than null
	}
	log := SARIFLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []SARIFRun{{Tool: SARIFTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// Printer writes the lines of a text report and keeps the first write
// error, so that a report writer reads as a list of lines and checks the
// error once, at the end.
type Printer struct {
	w   io.Writer
	err error
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Printf writes unless an earlier write failed.
func (p *Printer) Printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

// Write implements io.Writer with the same first-error rule.
func (p *Printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

// Err is the first write error, or nil.
func (p *Printer) Err() error { return p.err }
