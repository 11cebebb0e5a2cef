"""After-sales (售后服务): tickets against what a customer bought (tickets.py), return visits and
satisfaction (visits.py, surveys.py)."""
