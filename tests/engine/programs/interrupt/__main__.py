import pulumi
from filestore import Entry

config = pulumi.Config()
store = config.require("store")
quick = Entry("quick", store, content="q")
# Depends on `quick`, so it starts only after `quick` is in the state.
Entry("slow", store, content=quick.content, gate=config.require("gate"))
