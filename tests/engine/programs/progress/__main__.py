import pulumi
from filestore import Entry

store = pulumi.Config().require("store")
Entry(
    "chatty",
    store,
    content="done",
    progress=["phase one: renting", "phase two: waiting for SSH"],
    log="a pulumi.log.info line from the provider",
    sleep=0.5,
)
