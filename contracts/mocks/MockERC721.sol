// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice TEST ONLY. A third-party collection with open minting and a configurable ERC-2981 answer: none (the
/// call reverts, as for a collection without ERC-2981) or a fixed receiver and amount (possibly absurd).
contract MockERC721 is ERC721 {
    bool private _royaltyEnabled;
    address private _royaltyReceiver;
    uint256 private _royaltyAmount;

    error MockERC721NoRoyalty();

    constructor() ERC721("Mock", "MOCK") {}

    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }

    function setRoyalty(bool enabled, address receiver, uint256 amount) external {
        _royaltyEnabled = enabled;
        _royaltyReceiver = receiver;
        _royaltyAmount = amount;
    }

    function royaltyInfo(uint256, uint256) external view returns (address, uint256) {
        if (!_royaltyEnabled) revert MockERC721NoRoyalty();
        return (_royaltyReceiver, _royaltyAmount);
    }
}
