"""Constants of the Pelco driver: names, protocol bytes, speeds and units."""

from __future__ import annotations

from typing import Final

DRIVER: Final = "pelco"
VENDOR: Final = "Pelco"
MODEL_D: Final = "Pelco-D dome"
MODEL_P: Final = "Pelco-P dome"

D_SYNC: Final = 0xFF
D_FRAME_LEN: Final = 7
P_STX: Final = 0xA0
P_ETX: Final = 0xAF
P_FRAME_LEN: Final = 8

#: Highest ordinary pan/tilt speed byte; both protocols also know a pan "turbo"
#: speed (D 0xFF, P 0x40) that this driver never sends.
MAX_SPEED: Final = 0x3F

#: Extended commands: the second command byte (D) / second data byte (P), both odd.
OP_SET_PRESET: Final = 0x03
OP_CLEAR_PRESET: Final = 0x05
OP_GOTO_PRESET: Final = 0x07
OP_SET_AUX: Final = 0x09
OP_CLEAR_AUX: Final = 0x0B
OP_SET_PAN: Final = 0x4B
OP_SET_TILT: Final = 0x4D
OP_SET_ZOOM: Final = 0x4F
OP_QUERY_PAN: Final = 0x51
OP_QUERY_TILT: Final = 0x53
OP_QUERY_ZOOM: Final = 0x55
OP_PAN_RESPONSE: Final = 0x59
OP_TILT_RESPONSE: Final = 0x5B
OP_ZOOM_RESPONSE: Final = 0x5D

#: Which response answers which query (Pelco-D extended responses).
RESPONSE_OF: Final = {
    OP_QUERY_PAN: OP_PAN_RESPONSE,
    OP_QUERY_TILT: OP_TILT_RESPONSE,
    OP_QUERY_ZOOM: OP_ZOOM_RESPONSE,
}

#: Pan and tilt positions are hundredths of a degree, 0..35999.
ANGLE_UNITS: Final = 36_000
#: Zoom positions are 0 (wide) .. 65535 (tele).
ZOOM_UNITS: Final = 65_535

MAX_PRESET_NUMBER: Final = 255
MAX_AUX: Final = 8

TOPIC_OUTPUT: Final = "argus.io.output"
