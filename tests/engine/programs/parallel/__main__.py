import pulumi
from filestore import Entry

config = pulumi.Config()
store = config.require("store")
gate = config.require("gate")
for index in range(config.require_int("count")):
    Entry(f"slow-{index}", store, content=index, gate=gate)
