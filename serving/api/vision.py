"""Routes on one photo: its defects as after-sales issues, and whether it is a screenshot and what it says."""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile
from ray.serve.handle import DeploymentHandle

from serving import errors
from serving.access import needs
from serving.api.base import Routes
from serving.api.schemas import DefectsResponse, ScreenshotResponse

router = APIRouter()


class VisionRoutes(Routes):
    vision: DeploymentHandle

    @router.post("/v1/defects", response_model=DefectsResponse, responses=errors.ERROR_RESPONSES,
                 openapi_extra=needs("converse"))
    async def defects(self, image: UploadFile = File(..., description="A photo (JPEG, PNG, WebP...)")) -> dict:
        data = await self._read(image, "image")
        return await self._call(self.vision.detect.remote(data))

    @router.post("/v1/screenshots", response_model=ScreenshotResponse, responses=errors.ERROR_RESPONSES,
                 openapi_extra=needs("converse"))
    async def screenshots(self, image: UploadFile = File(..., description="A screenshot or a photo")) -> dict:
        """Whether a picture is a screenshot (an order page, a chat, a parcel label) and what it says."""
        from aftersales.understanding.slots import extract

        data = await self._read(image, "image")
        screen = await self._call(self.vision.read.remote(data))
        slots = None
        if screen["screenshot"]:
            found = extract(screen["text"])
            slots = {"order_id": found.order_id, "tracking_number": found.tracking_number, "phone": found.phone,
                     "amounts": [f"{c // 100}.{c % 100:02d}" for c in found.amounts], "dates": found.dates}
        return {**screen, "slots": slots}
