"""Business rules. Functions here take a session and plain values; no request, flash or g."""
