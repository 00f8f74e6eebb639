"""The GraphQL API: a FastAPI app (:func:`backend.api.app.create_app`) with strawberry at ``/graphql``."""
