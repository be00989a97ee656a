// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title EditionMetadata
/// @notice Renders an edition token's ERC-721 metadata fully on chain: a `data:application/json;base64` URI whose
/// JSON carries name, description, an SVG cover (`image`), the audio (`animation_url`) and attributes, so any
/// wallet or marketplace shows the token without the DCMX web app.
// JSON and SVG literals embed double quotes, so they are single-quoted.
// solhint-disable quotes
library EditionMetadata {
    using Strings for uint256;

    /// @notice Everything the renderer needs about one token.
    struct Token {
        string name;
        bytes32 contentHash;
        uint256 editionId;
        uint256 serial;
        uint256 maxSupply;
        address artist;
        string contentBaseURI;
        /// @dev Validated CIDv1 base32 strings (JSON-safe), or empty.
        string audioCid;
        string imageCid;
    }

    /// @notice The token's metadata as a data URI.
    function tokenURI(Token memory t) internal pure returns (string memory) {
        string memory hashHex = toHex(t.contentHash);
        string memory numbered = string.concat("#", t.serial.toString(), "/", t.maxSupply.toString());
        string memory jsonName = Strings.escapeJSON(t.name);
        string memory json = string.concat(
            '{"name":"',
            jsonName,
            " ",
            numbered,
            '","description":"Edition ',
            t.serial.toString(),
            " of ",
            t.maxSupply.toString(),
            ' of \\"',
            jsonName,
            '\\", a DCMX limited edition. The audio streams from the DCMX mesh, verified by its SHA-256 ',
            hashHex,
            '.","image":"',
            _image(t, numbered, hashHex),
            '",',
            _animationURL(t, hashHex),
            _attributes(t, hashHex),
            "}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    /// @notice Lowercase hex of a bytes32 without the `0x` prefix: the mesh's content address format.
    function toHex(bytes32 value) internal pure returns (string memory) {
        bytes memory out = new bytes(64);
        bytes16 digits = "0123456789abcdef";
        for (uint256 i; i < 32; ++i) {
            out[2 * i] = digits[uint8(value[i]) >> 4];
            out[2 * i + 1] = digits[uint8(value[i]) & 0x0f];
        }
        return string(out);
    }

    /// @notice Escapes the five XML special characters so a user-chosen name cannot break the SVG.
    function escapeXML(string memory input) internal pure returns (string memory) {
        bytes memory raw = bytes(input);
        bytes memory out;
        uint256 start;
        for (uint256 i; i < raw.length; ++i) {
            bytes1 c = raw[i];
            string memory entity;
            if (c == "&") entity = "&amp;";
            else if (c == "<") entity = "&lt;";
            else if (c == ">") entity = "&gt;";
            else if (c == '"') entity = "&quot;";
            else if (c == "'") entity = "&apos;";
            else continue;
            out = bytes.concat(out, _slice(raw, start, i), bytes(entity));
            start = i + 1;
        }
        if (start == 0) return input;
        return string(bytes.concat(out, _slice(raw, start, raw.length)));
    }

    /// @dev `ipfs://<audioCid>` when the artist set one (wallets resolve it natively), the mesh gateway kept in
    /// `properties`; else the gateway URL; nothing without either.
    function _animationURL(Token memory t, string memory hashHex) private pure returns (string memory) {
        bool gateway = bytes(t.contentBaseURI).length != 0;
        string memory http = gateway ? string.concat(Strings.escapeJSON(t.contentBaseURI), hashHex) : "";
        if (bytes(t.audioCid).length != 0) {
            return string.concat(
                '"animation_url":"ipfs://',
                t.audioCid,
                '",',
                gateway ? string.concat('"properties":{"audio_gateway_url":"', http, '"},') : ""
            );
        }
        return gateway ? string.concat('"animation_url":"', http, '",') : "";
    }

    function _image(Token memory t, string memory numbered, string memory hashHex) private pure returns (string memory) {
        if (bytes(t.imageCid).length != 0) return string.concat("ipfs://", t.imageCid);
        return string.concat("data:image/svg+xml;base64,", Base64.encode(bytes(_svg(t, numbered, hashHex))));
    }

    function _attributes(Token memory t, string memory hashHex) private pure returns (string memory) {
        return string.concat(
            '"attributes":[{"trait_type":"Content hash","value":"0x',
            hashHex,
            '"},{"trait_type":"Edition","value":"',
            t.editionId.toString(),
            '"},{"trait_type":"Serial","display_type":"number","value":',
            t.serial.toString(),
            '},{"trait_type":"Edition size","display_type":"number","value":',
            t.maxSupply.toString(),
            '},{"trait_type":"Artist","value":"',
            Strings.toHexString(t.artist),
            '"}]'
        );
    }

    function _svg(Token memory t, string memory numbered, string memory hashHex) private pure returns (string memory) {
        // The hue comes from the content hash, so every track gets its own colour.
        string memory hue = (uint256(t.contentHash) % 360).toString();
        return string.concat(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 500 500">',
            '<rect width="500" height="500" fill="hsl(',
            hue,
            ',45%,14%)"/><circle cx="250" cy="215" r="120" fill="none" stroke="hsl(',
            hue,
            ',80%,65%)" stroke-width="10"/><text x="40" y="400" fill="#fff" font-family="sans-serif" font-size="30">',
            escapeXML(t.name),
            '</text><text x="40" y="455" fill="hsl(',
            hue,
            ',80%,75%)" font-family="monospace" font-size="26">',
            numbered,
            " \xc2\xb7 ",
            _prefix(hashHex, 12),
            "</text></svg>"
        );
    }

    function _prefix(string memory s, uint256 length) private pure returns (string memory) {
        return string(_slice(bytes(s), 0, length));
    }

    function _slice(bytes memory raw, uint256 start, uint256 end) private pure returns (bytes memory out) {
        out = new bytes(end - start);
        for (uint256 i = start; i < end; ++i) out[i - start] = raw[i];
    }
}
