"""The HTTP API's routes, one `APIRouter` per feature. Each module's `router(...)` takes the
shared objects it needs (services, the served index, the model queue, the key check) as
arguments; `ui.api.make_app` builds those once and includes the routers in order."""
