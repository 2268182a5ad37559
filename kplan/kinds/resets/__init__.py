"""A group's offsets reset, declared as a request applied once per token: what a consumer group's request
(kinds/consumer_group) and a share group's (kinds/share_group) have in common, written once so that the two kinds
do not import each other. The reset forms and their parsing (`parse`), positions and the follow-up query (`model`),
planning the moves and their problems (`plan`), and the apply handler's refusal and journal (`handlers`); each
kind brings its words (`plan.Terms`), its own Kafka port and what only it has (a consumer group's delete and
failover). The token-versioned request kind itself is kplan.kinds.requests. Pure: `handlers` reaches the
cluster only through the step context's ports.
"""
