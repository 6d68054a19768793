// Package report renders the assessment (from a plan) and the migration
// report (from the state and a verify) for the client: HTML, PDF, Markdown
// and JSON. It reads what the engine produced and knows nothing of sources
// or targets.
package report
