"""The framework's ceiling: a FastAPI app on Ray Serve that parses the same JSON bodies kefu's text turns carry and
answers at once, deployed in the same Serve instance behind the same proxy as kefu (route prefix /noop)."""


from fastapi import FastAPI, Request
from ray import serve

app = FastAPI()


@serve.deployment(ray_actor_options={"num_cpus": 0}, max_ongoing_requests=64)
@serve.ingress(app)
class NoOp:
    @app.post("/turn")
    async def turn(self, request: Request) -> dict:
        body = await request.json()
        return {"reply": "ok", "fields": len(body)}


def noop_app():
    return NoOp.bind()
