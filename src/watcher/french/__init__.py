"""Everything written for a person, in French: words, prose, emails, the chart, the report. Pure."""
