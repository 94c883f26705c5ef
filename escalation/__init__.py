"""Working-time calendar, SLA deadlines and the 督办 escalation ladder."""
