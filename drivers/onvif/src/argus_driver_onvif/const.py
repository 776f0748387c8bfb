"""Constants of the ONVIF driver: names, services, spaces."""

from __future__ import annotations

from typing import Final

DRIVER: Final = "onvif"
CHANNEL_NAME: Final = "Video"
MAIN: Final = "main"
SUB: Final = "sub"

#: ONVIF service → (WSDL file of onvif-zeep, binding name).
SERVICES: Final[dict[str, tuple[str, str]]] = {
    "devicemgmt": ("devicemgmt.wsdl", "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"),
    "media": ("media.wsdl", "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"),
    "ptz": ("ptz.wsdl", "{http://www.onvif.org/ver20/ptz/wsdl}PTZBinding"),
}

#: ONVIF video encodings → FFmpeg codec names (the SDK's codec vocabulary).
CODECS: Final[dict[str, str]] = {"H264": "h264", "H265": "hevc", "JPEG": "mjpeg", "MPEG4": "mpeg4"}

#: The generic spaces every ONVIF PTZ node supports for the moves it offers:
#: pan/tilt -1..1 and zoom 0..1 (position), -1..1 (translation and velocity) —
#: the SDK's own normalised ranges, so no scaling is needed.
PAN_TILT_POSITION: Final = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_POSITION: Final = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"
PAN_TILT_TRANSLATION: Final = (
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace"
)
ZOOM_TRANSLATION: Final = "http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace"
PAN_TILT_VELOCITY: Final = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace"
ZOOM_VELOCITY: Final = "http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace"
