// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice TEST ONLY. A third-party collection (plain OpenZeppelin ERC721) with open minting and burning, and an
/// ERC-2981 answer its admin (anyone) changes at will: none (the call reverts, as without ERC-2981), a fixed
/// amount, a share of the price in basis points, or malformed data (empty, short, oversized, a dirty address word,
/// or a call that burns all the gas it gets).
contract MockERC721 is ERC721 {
    enum RoyaltyMode {
        None,
        Fixed,
        Bps,
        Empty,
        Short,
        Oversized,
        DirtyAddress,
        GasGuzzler
    }

    RoyaltyMode private _royaltyMode;
    address private _royaltyReceiver;
    uint256 private _royaltyAmount;
    uint256 private _royaltyGasBurn;

    error MockERC721NoRoyalty();

    constructor() ERC721("Mock", "MOCK") {}

    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }

    function burn(uint256 tokenId) external {
        _burn(tokenId);
    }

    /// @param amount Wei for `Fixed`, basis points of the price for `Bps`, ignored otherwise.
    function setRoyalty(RoyaltyMode mode, address receiver, uint256 amount) external {
        _royaltyMode = mode;
        _royaltyReceiver = receiver;
        _royaltyAmount = amount;
    }

    /// @notice Makes every well-formed answer first burn about `gasBurn` gas (an expensive royalty lookup).
    function setRoyaltyGasBurn(uint256 gasBurn) external {
        _royaltyGasBurn = gasBurn;
    }

    function royaltyInfo(uint256, uint256 salePrice) external view returns (address receiver, uint256 amount) {
        RoyaltyMode mode = _royaltyMode;
        receiver = _royaltyReceiver;
        amount = _royaltyAmount;
        if (mode == RoyaltyMode.None) revert MockERC721NoRoyalty();
        uint256 burnUntil = gasleft() - _royaltyGasBurn;
        while (gasleft() > burnUntil) {}
        if (mode == RoyaltyMode.Bps) return (receiver, salePrice * amount / 10_000);
        if (mode == RoyaltyMode.Fixed) return (receiver, amount);
        assembly ("memory-safe") {
            switch mode
            case 3 { return(0, 0) }
            case 4 {
                mstore(0, receiver)
                return(0, 0x20)
            }
            case 5 {
                // A well-formed answer followed by junk: 64 words in all.
                let ptr := mload(0x40)
                mstore(ptr, receiver)
                mstore(add(ptr, 0x20), amount)
                return(ptr, 0x800)
            }
            case 6 {
                mstore(0, or(shl(160, 1), receiver))
                mstore(0x20, amount)
                return(0, 0x40)
            }
            default {
                for {} 1 {} {}
            }
        }
    }
}
