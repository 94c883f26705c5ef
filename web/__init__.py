"""Flask application, JSON API and command line: the composition root of whistle."""
