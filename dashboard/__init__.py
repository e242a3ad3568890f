"""The Dash web app: pages, shared components, authentication and the read-only data API."""
