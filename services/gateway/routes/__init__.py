"""The gateway's REST routes, one router per resource; each `build_router(gw)` reads the Gateway it is given."""
