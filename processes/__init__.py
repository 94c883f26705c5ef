"""What process designers edit: one folder per pack (pack.yaml, BPMN, forms, policies, calendars; docs/packs.md)."""
