"""CloudMart notification-service: a Celery worker that turns captured payments into notifications."""
