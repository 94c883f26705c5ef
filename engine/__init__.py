"""Domain, persistence and the SpiffWorkflow adapter of whistle (no web, no scheduler)."""
