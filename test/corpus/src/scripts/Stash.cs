using System;

public class Stash
{
    private int slots;

    public int Count()
    {
        int total = 0;
        try { return slots; }
        catch (Exception e) { return -1; }
    }
}
