"""What process designers edit: BPMN files, form schemas, SLA policies, the demo district."""
