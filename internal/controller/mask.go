package controller

import (
	"strconv"
	"strings"
)

// maskEmail hides an address in logs and events: ada@example.com → a***@example.com.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return "***"
	}
	return e[:1] + "***" + e[at:]
}

// maskList masks up to five addresses and counts the rest.
func maskList(emails []string) string {
	const shown = 5
	parts := make([]string, 0, shown+1)
	for i, e := range emails {
		if i == shown {
			parts = append(parts, "and "+strconv.Itoa(len(emails)-shown)+" more")
			break
		}
		parts = append(parts, maskEmail(e))
	}
	return strings.Join(parts, ", ")
}
