"""Notices: what happened to a trainee's training (a summary reviewed, an essay graded, a course
assigned, a due date changed), shown on the dashboard and emailed."""
