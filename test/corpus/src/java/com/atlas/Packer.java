package com.atlas;

import java.util.Date;

/** A tools build step with one missing class, one missing method and one deprecated call (corpus sample). */
public class Packer {
    public static void main(String[] args) {
        Foo x = new Foo();
        String name = args.length > 0 ? args[0] : "atlas";
        System.out.println(name.lenght());
        Date d = new Date("2026/01/12");
        System.out.println(d);
    }
}
