// Package graph is the Microsoft Graph target.
package graph
