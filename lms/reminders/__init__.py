"""Email reminders: due dates, expiring certificates, and the overdue digest for HR."""
