"""The README's Python subscription, as written there (PyPI gql, pinned in
requirements.txt): prints the first SILO handoff it receives, then exits.

Usage: gql_subscribe.py WS_URL TOKEN
"""

import asyncio
import sys

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

url, token = sys.argv[1], sys.argv[2]


async def main():
    transport = WebsocketsTransport(
        url=url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        init_payload={"authorization": f"Bearer {token}"},
    )
    async with Client(transport=transport) as session:
        print("subscribed", flush=True)
        query = gql("subscription { siloHandoffDetected { caseRef flags } }")
        async for result in session.subscribe(query):
            handoff = result["siloHandoffDetected"]
            print(handoff["caseRef"], ",".join(handoff["flags"]), flush=True)
            break


asyncio.run(main())
