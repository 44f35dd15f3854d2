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
// testsuites > testsuite > testcase > failure | skipped. A document of
// one suite carries that suite's counts.
type JUnitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	JUnitCounts
	Suites []JUnitSuite `xml:"testsuite"`
}

// JUnitCounts are the counts and the time <testsuites> and <testsuite>
// both carry. Errors, when set, is written even when it is 0; Time is
// seconds ("0.250").
type JUnitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   *int   `xml:"errors,attr,omitempty"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr,omitempty"`
}

// JUnitSuite is one <testsuite>, with the run's settings as properties
// if it has any.
type JUnitSuite struct {
	Name string `xml:"name,attr"`
	JUnitCounts
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *JUnitProperties `xml:"properties,omitempty"`
	Cases      []JUnitCase      `xml:"testcase"`
}

// JUnitProperties is a suite's <properties>.
type JUnitProperties struct {
	Properties []JUnitProperty `xml:"property"`
}

// JUnitProperty is one <property name value>.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one <testcase>: passing, failing or skipped, with optional
// system-out.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut *JUnitText    `xml:"system-out,omitempty"`
}

// JUnitText is the text of an element such as <system-out>: Text is
// escaped, CDATA is written as a CDATA section, which keeps long
// excerpts readable in the file. Set one of them.
type JUnitText struct {
	Text  string `xml:",chardata"`
	CDATA string `xml:",cdata"`
}

// JUnitFailure is a <failure>; its text is Text or CDATA, as in JUnitText.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
	CDATA   string `xml:",cdata"`
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

// SARIFVersion is the version of SARIF the logs follow.
const SARIFVersion = "2.1.0"

// SARIFLog is the root of a SARIF 2.1.0 log: the subset code-scanning
// tools read.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of one tool.
type SARIFRun struct {
	Tool        SARIFTool         `json:"tool"`
	Invocations []SARIFInvocation `json:"invocations,omitempty"`
	Results     []SARIFResult     `json:"results"`
}

// SARIFTool names the tool.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is the tool component and its rules.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is one rule with its default level. Name is the
// PascalCase name some viewers show beside the id.
type SARIFRule struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
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

// SARIFInvocation says whether the run completed.
type SARIFInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
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
	Properties          map[string]any     `json:"properties,omitempty"`
}

// SARIFLocation places a finding in a file and, optionally, names the
// operation it concerns.
type SARIFLocation struct {
	PhysicalLocation SARIFPhysical  `json:"physicalLocation"`
	LogicalLocations []SARIFLogical `json:"logicalLocations,omitempty"`
}

// SARIFPhysical is a file and, when the line is known, a region.
type SARIFPhysical struct {
	ArtifactLocation SARIFArtifact `json:"artifactLocation"`
	Region           *SARIFRegion  `json:"region,omitempty"`
}

// SARIFArtifact names the file.
type SARIFArtifact struct {
	URI string `json:"uri"`
}

// SARIFRegion is the line.
type SARIFRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFLogical names a logical place, such as an operation.
type SARIFLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// SARIFSuppression records why a finding is accepted.
type SARIFSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// At returns the location of line in file uri; lines below 1 become 1,
// since SARIF regions start there.
func At(uri string, line int) []SARIFLocation {
	if line <= 0 {
		line = 1
	}
	return []SARIFLocation{{PhysicalLocation: SARIFPhysical{ArtifactLocation: SARIFArtifact{URI: uri}, Region: &SARIFRegion{StartLine: line}}}}
}

// WriteSARIF writes one run of driver with its results as an indented
// SARIF 2.1.0 log.
func WriteSARIF(w io.Writer, driver SARIFDriver, results []SARIFResult) error {
	if results == nil {
		results = []SARIFResult{} // "results": [] rather than null
	}
	log := SARIFLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []SARIFRun{{Tool: SARIFTool{Driver: driver}, Results: results}}}
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
