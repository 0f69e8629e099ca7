"""Reports for HR: spreadsheet import and export."""
