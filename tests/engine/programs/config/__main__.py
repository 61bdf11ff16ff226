import pulumi
from filestore import Entry

config = pulumi.Config()
store = config.require("store")
Entry("configured", store, content=config.require("plain"))

pulumi.export("plain", config.require("plain"))
pulumi.export("password", config.require_secret("password"))
pulumi.export("api_url", pulumi.Config("vast").require("apiUrl"))
