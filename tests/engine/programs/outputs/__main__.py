import pulumi
from filestore import Entry

store = pulumi.Config().require("store")
entry = Entry("first", store, content={"answer": 42})

pulumi.export("greeting", "hello")
pulumi.export("content", entry.content)
pulumi.export("token", pulumi.Output.secret("s3cr3t-output"))
