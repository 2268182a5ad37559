"""A minimal Kafka protocol client of kplan's own, for the one read where librdkafka's Python objects cost more
than the read itself: the configs of every declared topic (`DescribeConfigs`).

librdkafka answers `describe_configs` with a Python `ConfigEntry` per config and per synonym — at 1,000 topics
~66,000 objects and ~0.2 s of CPU, most of a no-change plan's own work. This package sends the same request
(without synonyms) on one socket and decodes the answer straight into the plain dicts the planner uses, about
four times cheaper. It speaks only what it must: PLAINTEXT or TLS, SASL PLAIN, SCRAM or OAUTHBEARER (the tokens
kplan fetches itself: OIDC client credentials, AWS MSK IAM); for any other client setting, or anything unexpected
on the wire, the caller reads through librdkafka instead, which reports errors the usual way. `codec` and `scram`
are pure; `connection` is the socket and the one translation of the stack's client settings for it. `client`
sends what librdkafka lacks (client quotas, partition reassignments, BROKER and GROUP configs, share groups) over
the same connections, in kafka-python's message layouts, each to the broker Kafka wants it at."""
