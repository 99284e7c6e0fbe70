"""Composing messages from templates, transports and the delivery worker."""
